// Minimal server-sent-events reader for fetch() bodies: yields each event's data field.

const EVENT_END = /\r?\n\r?\n/;

function dataOf(block) {
  return block
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice(5).replace(/^ /, ""))
    .join("\n");
}

/** Yields the data of each event as a string ("[DONE]" included); comments are skipped. */
export async function* readEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let match;
    while ((match = EVENT_END.exec(buffer))) {
      const data = dataOf(buffer.slice(0, match.index));
      buffer = buffer.slice(match.index + match[0].length);
      if (data) yield data;
    }
  }
  const rest = dataOf(buffer);
  if (rest) yield rest;
}
