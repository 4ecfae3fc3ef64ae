"""Audio (`POST /v1/audio/transcriptions`, `/translations`, `/speech`) on Workers AI's
speech-recognition and text-to-speech models."""

from gateway.apis.audio.parameters import SPEECH, TRANSCRIPTIONS, TRANSLATIONS
from gateway.apis.audio.routes import ROUTES

PARAMETERS = {
    "POST /v1/audio/transcriptions": TRANSCRIPTIONS,
    "POST /v1/audio/translations": TRANSLATIONS,
    "POST /v1/audio/speech": SPEECH,
}

__all__ = ["PARAMETERS", "ROUTES"]
