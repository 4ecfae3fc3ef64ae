"""Every row of the audio, moderation and rerank parameter tables has a test that shows it
(the refused rows are also checked by tests/core/test_parameters.py, with refusals.py's values)."""

from __future__ import annotations

import ast

from helpers import ROOT
from refusals import RERANK, SPEECH, TRANSCRIBE, TRANSLATE

from gateway.app import parameter_tables

MODERATE = "POST /v1/moderations"
T = "test_transcriptions"
H = "test_hostile_uploads"
S = "test_speech"
REFUSE_T = f"{T}.test_what_cannot_be_honoured_is_a_400"
REFUSE_S = f"{S}.test_what_cannot_be_honoured_is_a_400"
TESTS = {
    (TRANSCRIBE, "file"): f"{H}.test_what_is_not_audio_is_a_400",
    (TRANSCRIBE, "model"): f"{T}.test_the_backup_answers_when_the_primary_fails",
    (TRANSCRIBE, "language"): f"{T}.test_whisper_v3_gets_base64_json_with_task_language_and_prompt",
    (TRANSCRIBE, "languages"): REFUSE_T,
    (TRANSCRIBE, "keywords"): REFUSE_T,
    (TRANSCRIBE, "prompt"): f"{T}.test_a_backup_that_cannot_honour_the_prompt_is_not_tried",
    (TRANSCRIBE, "response_format"): f"{T}.test_srt_is_a_valid_subrip_file_with_a_cue_a_sentence",
    (TRANSCRIBE, "temperature"): f"{T}.test_what_asks_for_nothing_is_accepted",
    (TRANSCRIBE, "include"): REFUSE_T,
    (TRANSCRIBE, "timestamp_granularities"): f"{T}.test_verbose_json_has_the_timestamps_asked_for",
    (TRANSCRIBE, "stream"): f"{T}.test_streaming_gives_delta_events_then_done",
    (TRANSCRIBE, "chunking_strategy"): "test_parameters.test_refused_rows_name_the_parameter",
    (TRANSCRIBE, "known_speaker_names"): REFUSE_T,
    (
        TRANSCRIBE,
        "known_speaker_references",
    ): "test_parameters.test_refused_rows_name_the_parameter",
    (TRANSLATE, "file"): f"{T}.test_translation_asks_the_translate_task_and_answers_english",
    (TRANSLATE, "model"): f"{T}.test_a_model_that_cannot_translate_is_a_400",
    (TRANSLATE, "prompt"): f"{T}.test_whisper_v3_gets_base64_json_with_task_language_and_prompt",
    (
        TRANSLATE,
        "response_format",
    ): f"{T}.test_translation_asks_the_translate_task_and_answers_english",
    (TRANSLATE, "temperature"): "test_parameters.test_refused_rows_name_the_parameter",
    (SPEECH, "model"): f"{S}.test_the_backup_speaks_with_its_own_speaker",
    (SPEECH, "input"): f"{S}.test_mp3_streams_as_it_is_made_and_says_the_text",
    (SPEECH, "instructions"): REFUSE_S,
    (SPEECH, "voice"): f"{S}.test_openai_voices_and_the_models_own_speakers",
    (SPEECH, "response_format"): f"{S}.test_the_other_formats_are_asked_of_aura",
    (SPEECH, "speed"): REFUSE_S,
    (SPEECH, "stream_format"): f"{S}.test_sse_gives_base64_audio_events",
    (
        MODERATE,
        "input",
    ): "test_moderations.test_each_input_gets_its_verdict_mapped_onto_openais_categories",
    (MODERATE, "model"): "test_moderations.test_a_safe_text_flags_nothing",
    (RERANK, "model"): "test_rerank.test_top_n_and_return_documents",
    (RERANK, "query"): "test_rerank.test_results_are_sorted_by_score_without_documents_by_default",
    (
        RERANK,
        "documents",
    ): "test_rerank.test_results_are_sorted_by_score_without_documents_by_default",
    (RERANK, "top_n"): "test_rerank.test_top_n_and_return_documents",
    (RERANK, "return_documents"): "test_rerank.test_top_n_and_return_documents",
    (RERANK, "rank_fields"): "test_rerank.test_bad_requests",
    (RERANK, "max_chunks_per_doc"): "test_rerank.test_bad_requests",
    (RERANK, "max_tokens_per_doc"): "test_parameters.test_refused_rows_name_the_parameter",
}
"""The test that shows each row's handling."""


def test_every_media_row_has_a_test_that_exists():
    tables = parameter_tables()
    rows = {
        (endpoint, name)
        for endpoint in (TRANSCRIBE, TRANSLATE, SPEECH, MODERATE, RERANK)
        for name in tables[endpoint]
    }
    assert rows == set(TESTS)
    for reference in set(TESTS.values()):
        module, function = reference.split(".")
        (path,) = (ROOT / "tests").rglob(f"{module}.py")
        defined = {
            node.name
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef)
        }
        assert function in defined, reference
