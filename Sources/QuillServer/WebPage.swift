/// The page `GET /` serves: one self-contained document (no external scripts, styles or fonts)
/// with two tabs: Generate (a prompt box, the sampling controls, and the continuation streamed in
/// token by token) and Inspect (pasted text sent to `/v1/inspect` and drawn by
/// `InspectionRenderer`, the same script and styles as `quill inspect`'s page).
enum WebPage {
    static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quill</title>
<style>
  body { font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; background: #fafafa; }
  h1 { font-size: 1.4rem; margin-bottom: .2rem; }
  #model { color: #666; font-size: .9rem; margin-bottom: 1rem; }
  textarea { width: 100%; box-sizing: border-box; height: 7rem; font: 1rem ui-monospace, monospace; padding: .6rem; border: 1px solid #bbb; border-radius: 6px; }
  .controls { display: flex; flex-wrap: wrap; gap: .8rem 1.2rem; margin: .8rem 0; align-items: end; }
  label { display: flex; flex-direction: column; font-size: .8rem; color: #444; }
  input { width: 6rem; padding: .3rem; font-size: .95rem; border: 1px solid #bbb; border-radius: 4px; }
  button { padding: .5rem 1.2rem; font-size: 1rem; border: 0; border-radius: 6px; background: #2457c5; color: white; cursor: pointer; }
  button:disabled { background: #9aa8c7; cursor: default; }
  #cancel { background: #a33; }
  #output { white-space: pre-wrap; font: 1rem/1.45 ui-monospace, monospace; background: white; border: 1px solid #ddd; border-radius: 6px; padding: .8rem; min-height: 8rem; }
  #output .prompt { color: #777; }
  #status, #inspect-status { color: #666; font-size: .85rem; margin-top: .5rem; min-height: 1.2rem; }
  body.wide { max-width: 80rem; }
  .tabs { display: flex; gap: .3rem; border-bottom: 1px solid #ccc; margin-bottom: 1rem; }
  .tabs button { background: #e8ebf2; color: #1d1d1f; border-radius: 6px 6px 0 0; }
  .tabs button[aria-selected="true"] { background: #2457c5; color: white; }
\#(InspectionRenderer.css)
</style>
</head>
<body>
<h1>Quill</h1>
<div id="model">loading model…</div>
<div class="tabs" role="tablist" aria-label="What to do">
  <button role="tab" id="tab-generate" aria-selected="true" aria-controls="panel-generate">Generate</button>
  <button role="tab" id="tab-inspect" aria-selected="false" aria-controls="panel-inspect" tabindex="-1">Inspect</button>
</div>
<section id="panel-generate" role="tabpanel" aria-labelledby="tab-generate">
<textarea id="prompt" placeholder="Write the start of a text; the model continues it.">ROMEO:</textarea>
<div class="controls">
  <label>max tokens <input id="max_tokens" type="number" value="300" min="1"></label>
  <label>temperature <input id="temperature" type="number" value="0.8" min="0" step="0.05"></label>
  <label>top-k (0 off) <input id="top_k" type="number" value="0" min="0"></label>
  <label>top-p <input id="top_p" type="number" value="1" min="0.01" max="1" step="0.01"></label>
  <label>seed (empty: random) <input id="seed" type="number" min="0"></label>
  <label>stop <input id="stop" type="text"></label>
  <label>API key (if asked) <input id="key" type="password" autocomplete="off"></label>
  <button id="go">Generate</button>
  <button id="cancel" disabled>Stop</button>
</div>
<div id="output"></div>
<div id="status"></div>
</section>
<section id="panel-inspect" role="tabpanel" aria-labelledby="tab-inspect" hidden>
<textarea id="inspect-text" aria-label="Text to inspect" placeholder="Paste a text (up to 10,000 characters): the model scores it, and the view shows its guesses and the cells that track the text."></textarea>
<div class="controls">
  <label>guesses per token <input id="inspect-top-k" type="number" value="5" min="1" max="20"></label>
  <button id="inspect-go">Inspect</button>
</div>
<div id="inspect-status" role="status"></div>
<div id="inspect-view"></div>
</section>
<script>
\#(InspectionRenderer.script)
</script>
<script>
const $ = (id) => document.getElementById(id);
let controller = null;
// The key stays in this tab's session storage: never in the page, the link or the server's answers.
$('key').value = sessionStorage.getItem('quill-key') || '';
function headers(extra) {
  const all = Object.assign({}, extra);
  if ($('key').value !== '') all['Authorization'] = 'Bearer ' + $('key').value;
  return all;
}
function describeModel() {
  fetch('/v1/models', { headers: headers() }).then(r => {
    if (r.status === 401) throw new Error('this server needs an API key: enter it below');
    return r.json();
  }).then(m => {
    const d = m.data[0];
    $('model').textContent = `${d.id}: ${d.level}-level ${d.cell.toUpperCase()}, ${d.layers} × ${d.hidden_size}, ${d.vocabulary_size} tokens, ${d.weights} weights`;
  }).catch((e) => { $('model').textContent = e.message.startsWith('this server') ? e.message : 'model information unavailable'; });
}
$('key').onchange = () => { sessionStorage.setItem('quill-key', $('key').value); describeModel(); };
describeModel();

function request() {
  const body = { prompt: $('prompt').value, stream: true,
                 max_tokens: Number($('max_tokens').value), temperature: Number($('temperature').value),
                 top_k: Number($('top_k').value), top_p: Number($('top_p').value) };
  if ($('seed').value !== '') body.seed = Number($('seed').value);
  if ($('stop').value !== '') body.stop = $('stop').value;
  return body;
}

$('go').onclick = async () => {
  const out = $('output');
  out.innerHTML = '';
  const prompt = document.createElement('span');
  prompt.className = 'prompt';
  prompt.textContent = $('prompt').value;
  const text = document.createElement('span');
  out.append(prompt, text);
  $('go').disabled = true; $('cancel').disabled = false;
  $('status').textContent = 'generating…';
  controller = new AbortController();
  const started = performance.now();
  let tokens = 0, buffer = '';
  try {
    const response = await fetch('/v1/completions', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
                                                      body: JSON.stringify(request()), signal: controller.signal });
    if (!response.ok) {
      const e = await response.json().catch(() => null);
      throw new Error(e && e.error ? e.error.message : `HTTP ${response.status}`);
    }
    const reader = response.body.getReader(), decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let cut;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const line = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
        if (!line.startsWith('data: ')) continue;
        const data = line.slice(6);
        if (data === '[DONE]') continue;
        const event = JSON.parse(data), choice = event.choices[0];
        text.textContent += choice.text;
        if (event.usage) tokens = event.usage.completion_tokens;
        if (choice.finish_reason) {
          const seconds = (performance.now() - started) / 1000;
          $('status').textContent = `${tokens} tokens in ${seconds.toFixed(2)} s (${(tokens / seconds).toFixed(0)} tokens/s), finished: ${choice.finish_reason}`;
        }
      }
    }
  } catch (error) {
    $('status').textContent = error.name === 'AbortError' ? 'stopped' : `error: ${error.message}`;
  } finally {
    $('go').disabled = false; $('cancel').disabled = true; controller = null;
  }
};
$('cancel').onclick = () => { if (controller) controller.abort(); };
// A link can carry the settings: /?prompt=…&temperature=0.7&seed=3&run (run starts at once).
const query = new URLSearchParams(location.search);
for (const key of ['prompt', 'max_tokens', 'temperature', 'top_k', 'top_p', 'seed', 'stop']) {
  if (query.has(key)) $(key).value = query.get(key);
}
if (query.has('run')) $('go').click();

// Tabs: arrow keys move between them, as the ARIA tabs pattern has it.
const tabs = [$('tab-generate'), $('tab-inspect')];
function choose(tab) {
  for (const t of tabs) {
    const on = t === tab;
    t.setAttribute('aria-selected', String(on));
    t.tabIndex = on ? 0 : -1;
    $(t.getAttribute('aria-controls')).hidden = !on;
  }
  document.body.classList.toggle('wide', tab === tabs[1]);
  tab.focus();
}
for (const t of tabs) {
  t.onclick = () => choose(t);
  t.onkeydown = (e) => {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') choose(tabs[(tabs.indexOf(t) + 1) % tabs.length]);
  };
}
$('inspect-go').onclick = async () => {
  $('inspect-go').disabled = true;
  $('inspect-status').textContent = 'inspecting…';
  try {
    const response = await fetch('/v1/inspect', { method: 'POST', headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify({ text: $('inspect-text').value, top_k: Number($('inspect-top-k').value) }) });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error ? data.error.message : `HTTP ${response.status}`);
    QuillInspect.render($('inspect-view'), data);
    $('inspect-status').textContent = '';
  } catch (error) {
    $('inspect-status').textContent = `error: ${error.message}`;
  } finally {
    $('inspect-go').disabled = false;
  }
};
if (query.has('inspect')) { choose(tabs[1]); $('inspect-text').value = query.get('inspect'); $('inspect-go').click(); }
</script>
</body>
</html>
"""#
}
