/// The one source of the inspection view's styles and script, used by the page `quill inspect`
/// writes and by `quill serve`'s Inspect tab. `QuillInspect.render(element, data)` draws an
/// `InspectionPage` data object into `element`: the text shaded by surprisal or by a chosen
/// cell, a tooltip of the model's guesses (mouse, tap or keyboard) that, for a model with an
/// attention head, also outlines and lists the tokens the head weighted most, the ranked cells
/// per feature and a gate-saturation chart per layer. Nothing is fetched: the script builds every element
/// itself, and charts are inline SVG.
public enum InspectionRenderer {
    /// Styles, all under the `.qi` class so they can share a page with others.
    public static let css = #"""
.qi { --qi-fg: #1d1d1f; --qi-muted: #666; --qi-line: #ddd; font-family: system-ui, sans-serif; color: var(--qi-fg); }
.qi h1 { font-size: 1.3rem; margin: 0 0 .3rem; overflow-wrap: anywhere; }
.qi h2 { font-size: 1.05rem; margin: 1rem 0 .4rem; }
.qi h3 { font-size: .9rem; margin: .7rem 0 .3rem; }
.qi .qi-summary, .qi .qi-note { color: var(--qi-muted); font-size: .9rem; }
.qi .qi-layout { display: flex; gap: 1.2rem; align-items: flex-start; }
.qi .qi-main { flex: 1 1 36rem; min-width: 0; }
.qi .qi-side { flex: 0 1 22rem; min-width: 0; }
@media (max-width: 52rem) { .qi .qi-layout { flex-direction: column; } .qi .qi-side { flex-basis: auto; width: 100%; } }
.qi .qi-controls { display: flex; flex-wrap: wrap; gap: .4rem; margin: .5rem 0; align-items: center; }
.qi button { font: inherit; font-size: .85rem; padding: .3rem .6rem; border: 1px solid #99a; border-radius: 5px; background: white; color: var(--qi-fg); cursor: pointer; }
.qi button[aria-pressed="true"] { background: #2457c5; border-color: #2457c5; color: white; }
.qi button:focus-visible, .qi .qi-t:focus-visible, .qi .qi-text:focus-visible { outline: 2px solid #e08a00; outline-offset: 1px; }
.qi .qi-text { font: .95rem/1.5 ui-monospace, monospace; background: white; border: 1px solid var(--qi-line); border-radius: 6px; padding: .5rem; max-height: 75vh; overflow: auto; position: relative; }
.qi .qi-line { display: flex; gap: .6rem; }
.qi .qi-gutter { flex: 0 0 3.2rem; text-align: right; color: var(--qi-muted); font-size: .75rem; user-select: none; padding-top: .15rem; }
.qi .qi-content { white-space: pre-wrap; overflow-wrap: anywhere; min-width: 0; flex: 1; }
.qi .qi-t { cursor: default; border-radius: 2px; }
.qi .qi-t.qi-nl::after { content: "\21B5"; color: #aaa; }
.qi .qi-t.qi-current { box-shadow: 0 0 0 1px #333; }
.qi .qi-t.qi-att { outline: 2px solid var(--qi-att, rgba(31,157,85,.6)); outline-offset: -1px; text-decoration: underline 2px var(--qi-att, rgba(31,157,85,.6)); }
.qi .qi-tip { position: absolute; z-index: 5; background: #fff; border: 1px solid #888; border-radius: 6px; box-shadow: 0 2px 8px rgba(0,0,0,.2); padding: .4rem .6rem; font: .8rem/1.35 system-ui, sans-serif; min-width: 11rem; max-width: min(20rem, 90vw); pointer-events: none; }
.qi .qi-tip[hidden] { display: none; }
.qi .qi-tip table { border-collapse: collapse; width: 100%; }
.qi .qi-tip td { padding: 0 .25rem; white-space: nowrap; }
.qi .qi-tip .qi-true { font-weight: 700; }
.qi .qi-tip .qi-att-list { margin-top: .3rem; }
.qi .qi-tip .qi-att-list caption { text-align: left; color: var(--qi-muted); font-size: .75rem; }
.qi .qi-bar { display: inline-block; height: .55rem; background: #2457c5; vertical-align: middle; }
.qi .qi-cells ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .3rem; }
.qi .qi-legend { font-size: .8rem; color: var(--qi-muted); margin: .3rem 0; }
.qi .qi-swatch { display: inline-block; width: 4.5rem; height: .7rem; vertical-align: middle; border: 1px solid #ccc; }
.qi .qi-gates { display: flex; flex-wrap: wrap; gap: .8rem; }
.qi .qi-gates figure { margin: 0; }
.qi .qi-gates figcaption { font-size: .8rem; color: var(--qi-muted); max-width: 12rem; }
.qi .qi-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
"""#

    /// The script: defines `QuillInspect.render(element, data)`.
    public static let script = #"""
const QuillInspect = (() => {
  const make = (tag, props, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'text') e.textContent = v; else if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  };
  const decode = (b64) => { const s = atob(b64), a = new Int8Array(s.length); for (let i = 0; i < s.length; i++) a[i] = (s.charCodeAt(i) << 24) >> 24; return a; };
  const shown = (t) => t === '\n' || t === '<eos>' ? '\u21B5' : t === ' ' ? '\u2423' : t === '\t' ? '\u21E5' : t;
  const gateColours = ['#2457c5', '#d0482a', '#1f9d55', '#8a4fd1'];
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

  function render(root, d) {
    root.textContent = '';
    root.classList.add('qi');
    const n = d.ids.length, m = d.model, signals = d.signals;
    const bits = (i) => d.surprisal[i] === null ? null : d.surprisal[i] / 100;
    const state = { mode: 'surprisal', cell: -1, signal: signals[0], current: -1, pinned: false };
    // Attention links of token i: pairs (tokens back, weight in thousandths), heaviest first.
    const att = d.attention || null, attended = [];
    const links = (i) => { const l = att ? att.links[i] : [], out = []; for (let k = 0; k < l.length; k += 2) out.push([i - l[k], l[k + 1] / 1000]); return out; };
    const unmark = () => { for (const s of attended) { s.classList.remove('qi-att'); s.style.removeProperty('--qi-att'); } attended.length = 0; };
    const mark = (i) => {
      unmark();
      for (const [j, w] of links(i)) {
        const s = tokenSpans[j];
        s.classList.add('qi-att');
        s.style.setProperty('--qi-att', `rgba(31, 157, 85, ${(0.2 + 0.8 * w).toFixed(3)})`);
        attended.push(s);
      }
    };
    const decoded = {};
    const activation = (c, signal) => {
      const key = c + signal;
      if (!decoded[key]) decoded[key] = decode(d.cells[c][signal].q);
      return decoded[key];
    };

    let scored = 0, total = 0;
    for (let i = 0; i < n; i++) if (bits(i) !== null) { scored++; total += bits(i); }
    const scoredChars = d.model.level === 'char' ? scored : Math.max(1, d.text.length - (n ? d.spans[1] : 0));
    root.append(make('h1', { text: d.title }),
      make('p', { class: 'qi-summary', text: `${m.level}-level ${m.cell.toUpperCase()}, ${m.layers} \u00D7 ${m.hidden}; ${n} tokens, ` +
        `${total.toFixed(0)} bits in all, ${(total / Math.max(1, scored)).toFixed(3)} bits/token` +
        (m.level === 'char' ? '' : `, ${(total / scoredChars).toFixed(3)} bits/char`) +
        (att ? `; an attention head after layer ${att.layer + 1} over ${att.memory} past tokens (hover a token: the ones it read most are outlined)` : '') }));

    // Controls: what shades the text.
    const surprisalButton = make('button', { type: 'button', 'aria-pressed': 'true', text: 'Shade by surprisal' });
    const signalButtons = signals.map((s) => make('button', { type: 'button', 'aria-pressed': String(s === state.signal), 'data-signal': s,
      text: s === 'cell' ? 'cell state c' : 'output h' }));
    const legend = make('div', { class: 'qi-legend', 'aria-live': 'polite' });
    const controls = make('div', { class: 'qi-controls', role: 'group', 'aria-label': 'Shading' }, surprisalButton,
      make('span', { class: 'qi-note', text: 'cells show:' }), ...signalButtons);

    // The text, line by line, each line with its bits per character.
    const textBox = make('div', { class: 'qi-text', tabindex: '0', role: 'group',
      'aria-label': 'Scored text. Arrow keys move between tokens; the tooltip reads the model\'s guesses.' });
    const tip = make('div', { class: 'qi-tip', role: 'status', 'aria-live': 'polite', hidden: '' });
    const tokenSpans = new Array(n);
    let line = null, content = null, lineBits = 0, lineChars = 0, lineScored = 0;
    const newLine = () => {
      line = make('div', { class: 'qi-line' });
      const gutter = make('span', { class: 'qi-gutter', 'aria-hidden': 'true' });
      content = make('span', { class: 'qi-content' });
      line.append(gutter, content);
      textBox.append(line);
      lineBits = 0; lineChars = 0; lineScored = 0;
    };
    const closeLine = () => {
      if (line && lineScored > 0 && lineChars > 0) {
        const v = lineBits / lineChars;
        line.firstChild.textContent = v.toFixed(2);
        line.firstChild.title = `${v.toFixed(3)} bits per character on this line`;
      }
    };
    const addGap = (s) => {
      const parts = s.split('\n');
      parts.forEach((p, k) => {
        if (k > 0) { lineChars += 1; closeLine(); newLine(); }
        if (p) { content.append(p); lineChars += p.length; }
      });
    };
    newLine();
    let pos = 0;
    for (let i = 0; i < n; i++) {
      const off = d.spans[2 * i], len = d.spans[2 * i + 1];
      if (off > pos) addGap(d.text.slice(pos, off));
      const piece = d.text.slice(off, off + len), tok = d.vocab[d.ids[i]];
      const isLineEnd = piece === '\n' || (len === 0 && tok === '<eos>');
      const span = make('span', { class: 'qi-t' + (isLineEnd ? ' qi-nl' : ''), tabindex: '-1', 'data-i': String(i) });
      if (!isLineEnd) span.textContent = piece;
      else span.setAttribute('aria-label', 'line end');
      tokenSpans[i] = span;
      content.append(span);
      if (bits(i) !== null) { lineBits += bits(i); lineScored++; }
      lineChars += piece === '\n' ? 1 : piece.length;
      pos = off + len;
      if (piece === '\n') { closeLine(); newLine(); }
    }
    if (pos < d.text.length) addGap(d.text.slice(pos));
    closeLine();
    textBox.append(tip);

    function describe(i) {
      const b = bits(i), tok = d.vocab[d.ids[i]];
      let html = `<div><strong>${esc(shown(tok))}</strong> \u2014 token ${i + 1} of ${n}</div>`;
      if (b === null) html += '<div>the first token: no prediction</div>';
      else html += `<div>${b.toFixed(2)} bits; the true token ranked ${d.rank[i]}</div>`;
      if (state.mode === 'cell') {
        const c = d.cells[state.cell], q = activation(state.cell, state.signal)[i];
        html += `<div>layer ${c.layer + 1} unit ${c.unit} ${state.signal === 'cell' ? 'c' : 'h'} = ${(q * d.cells[state.cell][state.signal].scale).toFixed(3)}</div>`;
      }
      const g = d.guesses[i];
      if (g.length) {
        html += '<table><caption class="qi-sr">the model\'s guesses</caption>';
        for (let k = 0; k < g.length; k += 2) {
          const p = g[k + 1] / 10000, isTrue = g[k] === d.ids[i];
          html += `<tr${isTrue ? ' class="qi-true"' : ''}><td>${esc(shown(d.vocab[g[k]]))}</td><td>${(p * 100).toFixed(1)}%</td>` +
            `<td><span class="qi-bar" style="width:${Math.max(1, Math.round(p * 80))}px"></span></td></tr>`;
        }
        html += '</table>';
      }
      const a = links(i);
      if (a.length) {
        html += '<table class="qi-att-list"><caption>attention read most</caption>';
        for (const [j, w] of a) {
          html += `<tr><td>${esc(shown(d.vocab[d.ids[j]]))}</td><td>${j === i ? 'itself' : (i - j) + ' back'}</td><td>${(w * 100).toFixed(1)}%</td>` +
            `<td><span class="qi-bar" style="background:#1f9d55;width:${Math.max(1, Math.round(w * 80))}px"></span></td></tr>`;
        }
        html += '</table>';
      }
      return html;
    }
    function show(i, focus) {
      if (i < 0 || i >= n) return;
      if (state.current >= 0) { tokenSpans[state.current].classList.remove('qi-current'); tokenSpans[state.current].tabIndex = -1; }
      state.current = i;
      const span = tokenSpans[i];
      span.classList.add('qi-current');
      span.tabIndex = 0;
      if (focus) span.focus();
      tip.innerHTML = describe(i);
      tip.hidden = false;
      mark(i);
      const box = textBox.getBoundingClientRect(), r = span.getBoundingClientRect();
      const left = Math.min(r.left - box.left + textBox.scrollLeft, textBox.clientWidth - tip.offsetWidth - 4);
      tip.style.left = Math.max(0, left) + 'px';
      tip.style.top = (r.bottom - box.top + textBox.scrollTop + 4) + 'px';
    }
    const tokenOf = (e) => e.target.closest ? e.target.closest('.qi-t') : null;
    textBox.addEventListener('mouseover', (e) => { const t = tokenOf(e); if (t && !state.pinned) show(Number(t.dataset.i), false); });
    textBox.addEventListener('click', (e) => { const t = tokenOf(e); if (t) { state.pinned = true; show(Number(t.dataset.i), true); } });
    textBox.addEventListener('focusin', (e) => { const t = tokenOf(e); if (t && Number(t.dataset.i) !== state.current) show(Number(t.dataset.i), false); });
    textBox.addEventListener('mouseleave', () => { if (!state.pinned) { tip.hidden = true; unmark(); } });
    textBox.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1, Home: -n, End: n }[e.key];
      if (e.key === 'Escape') { tip.hidden = true; state.pinned = false; unmark(); return; }
      if (step === undefined) return;
      e.preventDefault();
      state.pinned = true;
      show(Math.max(0, Math.min(n - 1, (state.current < 0 ? 0 : state.current) + step)), true);
    });
    // Tabbing into the text lands on its current token; Shift+Tab out of a token passes through.
    textBox.addEventListener('focus', (e) => {
      if (e.target === textBox && !textBox.contains(e.relatedTarget)) show(state.current < 0 ? Math.min(1, n - 1) : state.current, true);
    });

    function paint() {
      surprisalButton.setAttribute('aria-pressed', String(state.mode === 'surprisal'));
      for (const b of signalButtons) b.setAttribute('aria-pressed', String(b.dataset.signal === state.signal));
      for (const b of cellButtons) b.setAttribute('aria-pressed', String(state.mode === 'cell' && Number(b.dataset.cell) === state.cell));
      if (state.mode === 'surprisal') {
        for (let i = 0; i < n; i++) {
          const b = bits(i);
          tokenSpans[i].style.backgroundColor = b === null ? '' : `rgba(230, 90, 20, ${Math.min(0.85, b / 10).toFixed(3)})`;
        }
        legend.innerHTML = 'Shading: surprisal, <span class="qi-swatch" style="background:linear-gradient(90deg,rgba(230,90,20,0),rgba(230,90,20,.85))"></span> 0 to 8.5+ bits. Numbers at the left: bits per character of each line.';
      } else {
        const a = activation(state.cell, state.signal), c = d.cells[state.cell];
        for (let i = 0; i < n; i++) {
          const v = a[i] / 127;
          tokenSpans[i].style.backgroundColor = v >= 0 ? `rgba(220, 50, 40, ${(0.85 * v).toFixed(3)})` : `rgba(40, 90, 220, ${(-0.85 * v).toFixed(3)})`;
        }
        legend.innerHTML = `Shading: layer ${c.layer + 1}, unit ${c.unit}, ${state.signal === 'cell' ? 'cell state c' : 'output h'}: ` +
          `<span class="qi-swatch" style="background:linear-gradient(90deg,rgba(40,90,220,.85),rgba(255,255,255,0),rgba(220,50,40,.85))"></span> ` +
          `\u2212${(127 * c[state.signal].scale).toFixed(2)} to +${(127 * c[state.signal].scale).toFixed(2)}`;
      }
      if (state.current >= 0 && !tip.hidden) tip.innerHTML = describe(state.current);
    }
    surprisalButton.addEventListener('click', () => { state.mode = 'surprisal'; paint(); });
    for (const b of signalButtons) b.addEventListener('click', () => {
      state.signal = b.dataset.signal;
      if (state.cell < 0 && d.cells.length) state.cell = 0;
      if (state.cell >= 0) state.mode = 'cell';
      paint();
    });

    // The ranked cells per feature.
    const cellButtons = [];
    const cellsBox = make('section', { class: 'qi-cells', 'aria-label': 'Cells that track features' },
      make('h2', { text: 'Cells that track the text' }),
      make('p', { class: 'qi-note', text: 'Ranked by |Pearson r| between the feature and the activation over every token. Choose a cell to shade the text by it.' }));
    for (const f of d.features) {
      cellsBox.append(make('h3', { text: f.name }));
      if (!f.cells.length) { cellsBox.append(make('p', { class: 'qi-note', text: 'the text never varies this feature' })); continue; }
      const list = make('ul');
      for (const entry of f.cells) {
        const c = d.cells[entry.cell], r = entry.r / 1000;
        const b = make('button', { type: 'button', 'aria-pressed': 'false', 'data-cell': String(entry.cell),
          text: `L${c.layer + 1} u${c.unit} ${entry.signal === 'cell' ? 'c' : 'h'} r=${r >= 0 ? '+' : '\u2212'}${Math.abs(r).toFixed(2)}`,
          'aria-label': `layer ${c.layer + 1}, unit ${c.unit}, ${entry.signal === 'cell' ? 'cell state' : 'output'}, correlation ${r.toFixed(2)} with ${f.name}` });
        b.addEventListener('click', () => { state.mode = 'cell'; state.cell = entry.cell; state.signal = entry.signal; paint(); });
        cellButtons.push(b);
        list.append(make('li', {}, b));
      }
      cellsBox.append(list);
    }

    // Gate saturation: per layer, each unit's share of time left (< 0.1) and right (> 0.9) saturated.
    const gatesBox = make('section', { 'aria-label': 'Gate saturation' }, make('h2', { text: 'Gate saturation' }));
    if (!d.saturation.length) gatesBox.append(make('p', { class: 'qi-note', text: 'This cell has no gates.' }));
    else gatesBox.append(make('p', { class: 'qi-note', text: 'Each dot is one unit\u2019s gate: across, the share of tokens it is below 0.1; up, above 0.9.' }));
    const charts = make('div', { class: 'qi-gates' });
    for (const s of d.saturation) {
      const size = 150, pad = 22;
      let dots = '', summary = [];
      s.gates.forEach((g, k) => {
        let sumL = 0, sumR = 0;
        s.left[k].forEach((l, j) => {
          const r = s.right[k][j];
          sumL += l; sumR += r;
          dots += `<circle cx="${(pad + l / 1000 * (size - pad - 4)).toFixed(1)}" cy="${(size - pad - r / 1000 * (size - pad - 4)).toFixed(1)}" r="1.8" fill="${gateColours[k]}" fill-opacity="0.55"></circle>`;
        });
        const units = Math.max(1, s.left[k].length);
        summary.push(`${g}: ${(sumL / units / 10).toFixed(0)}% left, ${(sumR / units / 10).toFixed(0)}% right`);
      });
      const keyText = s.gates.map((g, k) => `<tspan fill="${gateColours[k]}">\u25CF ${g} </tspan>`).join('');
      const svg = `<svg viewBox="0 0 ${size} ${size + 14}" width="${size}" height="${size + 14}" role="img" aria-label="layer ${s.layer + 1} gate saturation: ${summary.join('; ')}">` +
        `<rect x="${pad}" y="4" width="${size - pad - 4}" height="${size - pad - 4}" fill="none" stroke="#bbb"></rect>` +
        `<line x1="${pad}" y1="4" x2="${size - 4}" y2="${size - pad}" stroke="#ddd"></line>` + dots +
        `<text x="${pad}" y="${size - 8}" font-size="9" fill="#666">left-saturated \u2192</text>` +
        `<text x="10" y="${size - pad}" font-size="9" fill="#666" transform="rotate(-90 10 ${size - pad})">right-saturated \u2192</text>` +
        `<text x="${pad}" y="${size + 10}" font-size="9">${keyText}</text></svg>`;
      const fig = make('figure');
      fig.innerHTML = svg;
      fig.append(make('figcaption', { text: `Layer ${s.layer + 1}: ${summary.join('; ')}` }));
      charts.append(fig);
    }
    gatesBox.append(charts);

    const main = make('div', { class: 'qi-main' }, controls, legend, textBox);
    const side = make('div', { class: 'qi-side' }, cellsBox, gatesBox);
    root.append(make('div', { class: 'qi-layout' }, main, side));
    paint();
    return { show, state };
  }
  return { render };
})();
"""#
}
