// The strand console: polls the broker's /api/ every 2 s (or ?refresh=ms) and draws tables and uPlot charts.
'use strict';
(() => {
  const $ = (sel) => document.querySelector(sel);
  const el = (tag, attrs = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  };
  const api = async (path, init) => {
    const res = await fetch(`/api${path}`, init);
    const body = res.status === 204 ? null : await res.json();
    if (!res.ok) throw new Error(body && body.message ? body.message : `HTTP ${res.status}`);
    return body;
  };
  const bytes = (n) => (n < 1024 ? `${n} B` : n < 1048576 ? `${(n / 1024).toFixed(1)} KiB` : n < 1073741824 ? `${(n / 1048576).toFixed(1)} MiB` : `${(n / 1073741824).toFixed(2)} GiB`);
  const num = (v) => el('td', { class: 'num' }, v);
  // A byte-safe preview from the API: text, hex, or null.
  const shown = (p) => {
    if (p.encoding === 'null') return el('span', { class: 'null' }, 'null');
    const body = el('pre', { class: p.encoding === 'hex' ? 'hex' : '' }, p.encoding === 'hex' ? `0x${p.text}` : p.text);
    return p.truncated ? el('span', {}, body, el('span', { class: 'cut' }, `… (${p.bytes} bytes)`)) : body;
  };
  const fill = (tbody, rows) => {
    tbody.replaceChildren(...rows);
  };

  // ---- throughput chart: rates from two readings of /api/throughput
  const WINDOW = 120;
  const series = { t: [], inB: [], outB: [], inM: [], outM: [] };
  let lastTotals = null;
  const throughputChart = new uPlot({
    width: Math.min(900, window.innerWidth - 40), height: 220, title: 'records/s and bytes/s',
    series: [{}, { label: 'records in/s', stroke: '#1f77b4' }, { label: 'records out/s', stroke: '#2ca02c' }, { label: 'bytes in/s', stroke: '#ff7f0e', scale: 'b' }, { label: 'bytes out/s', stroke: '#d62728', scale: 'b' }],
    axes: [{}, { label: 'records/s' }, { scale: 'b', side: 1, label: 'bytes/s', grid: { show: false } }],
  }, [[], [], [], [], []], $('#throughput'));

  async function refreshThroughput() {
    const now = await api('/throughput');
    if (lastTotals !== null) {
      const dt = (now.time - lastTotals.time) / 1000 || 1;
      series.t.push(now.time / 1000);
      series.inM.push((now.messagesIn - lastTotals.messagesIn) / dt);
      series.outM.push((now.messagesOut - lastTotals.messagesOut) / dt);
      series.inB.push((now.bytesIn - lastTotals.bytesIn) / dt);
      series.outB.push((now.bytesOut - lastTotals.bytesOut) / dt);
      for (const k of Object.keys(series)) if (series[k].length > WINDOW) series[k].shift();
      throughputChart.setData([series.t, series.inM, series.outM, series.inB, series.outB]);
    }
    lastTotals = now;
  }

  // ---- cluster, topics
  let selectedTopic = null;
  async function refreshCluster() {
    const c = await api('/cluster');
    $('#cluster').textContent = `cluster ${c.clusterId} · broker ${c.nodeId} · controller ${c.controller}`;
    fill($('#brokers tbody'), c.brokers.map((b) => el('tr', {}, num(b.nodeId), el('td', {}, b.host), num(b.port), el('td', {}, b.rack ?? ''))));
  }

  async function refreshTopics() {
    const topics = await api('/topics');
    fill($('#topics tbody'), topics.map((t) => el('tr', { class: `clickable${t.name === selectedTopic ? ' selected' : ''}`, 'data-topic': t.name, onclick: () => showTopic(t.name) },
      el('td', {}, t.name), num(t.partitions), num(bytes(t.sizeBytes)), num(t.offsets),
      el('td', {}, Object.entries(t.configs).map(([k, v]) => `${k}=${v}`).join(', ')),
      el('td', {}, el('button', { onclick: (e) => { e.stopPropagation(); deleteTopic(t.name); } }, 'delete')))));
    const select = $('#browse-topic');
    const current = select.value;
    select.replaceChildren(...topics.map((t) => el('option', { value: t.name }, t.name)));
    if (topics.some((t) => t.name === current)) select.value = current;
    if (selectedTopic !== null) await showTopic(selectedTopic, true);
  }

  async function showTopic(name, quiet = false) {
    selectedTopic = name;
    try {
      const d = await api(`/topics/${encodeURIComponent(name)}`);
      $('#topic-detail').replaceChildren(el('h3', {}, `${d.name} (${d.topicId})`), el('table', {},
        el('thead', {}, el('tr', {}, ...['partition', 'leader', 'replicas', 'isr', 'start', 'end', 'high watermark', 'size', 'segments'].map((h) => el('th', {}, h)))),
        el('tbody', {}, ...d.partitions.map((p) => el('tr', {}, num(p.partition), num(p.leader), el('td', {}, p.replicas.join(',')), el('td', {}, p.isr.join(',')), num(p.startOffset), num(p.endOffset), num(p.highWatermark), num(bytes(p.sizeBytes)), num(p.segments))))));
    } catch (err) {
      selectedTopic = null;
      if (!quiet) $('#topic-detail').replaceChildren(el('p', { class: 'error' }, err.message));
      else $('#topic-detail').replaceChildren();
    }
  }

  async function deleteTopic(name) {
    if (!window.confirm(`Delete topic ${name} and all its records?`)) return;
    try {
      await api(`/topics/${encodeURIComponent(name)}`, { method: 'DELETE' });
    } catch (err) {
      window.alert(err.message);
    }
    await refreshTopics();
  }

  $('#create-topic').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const configs = {};
    for (const pair of String(f.get('configs') || '').split(',').map((s) => s.trim()).filter(Boolean)) {
      const i = pair.indexOf('=');
      if (i > 0) configs[pair.slice(0, i)] = pair.slice(i + 1);
    }
    try {
      await api('/topics', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: f.get('name'), partitions: Number(f.get('partitions')), configs }) });
      e.target.reset();
    } catch (err) {
      window.alert(err.message);
    }
    await refreshTopics();
  });

  // ---- groups and the lag chart of the selected group
  let selectedGroup = null;
  const lagSeries = { t: [], lag: [] };
  let lagChart = null;
  async function refreshGroups() {
    const groups = await api('/groups');
    fill($('#groups tbody'), groups.map((g) => el('tr', { class: `clickable${g.group === selectedGroup ? ' selected' : ''}`, 'data-group': g.group, onclick: () => { selectedGroup = g.group; lagSeries.t = []; lagSeries.lag = []; refreshGroups(); } },
      el('td', {}, g.group), el('td', {}, g.state), el('td', {}, g.type), num(g.lag))));
    if (selectedGroup === null) return;
    const d = await api(`/groups/${encodeURIComponent(selectedGroup)}`);
    fill($('#group-partitions tbody'), d.partitions.map((p) => el('tr', {}, el('td', {}, p.topic), num(p.partition), num(p.committed), num(p.end), num(p.lag))));
    lagSeries.t.push(Date.now() / 1000);
    lagSeries.lag.push(d.partitions.reduce((n, p) => n + Math.max(0, p.lag), 0));
    if (lagSeries.t.length > WINDOW) { lagSeries.t.shift(); lagSeries.lag.shift(); }
    if (lagChart === null) {
      lagChart = new uPlot({ width: Math.min(900, window.innerWidth - 40), height: 180, title: 'lag (records)', series: [{}, { label: 'lag', stroke: '#9467bd' }] }, [lagSeries.t, lagSeries.lag], $('#lag-chart'));
    } else lagChart.setData([lagSeries.t, lagSeries.lag]);
    $('#lag-chart').setAttribute('data-last-lag', String(lagSeries.lag.at(-1)));
  }

  // ---- message browser
  $('#browse').addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    const q = new URLSearchParams({ partition: String(f.get('partition') || 0), limit: String(f.get('limit') || 20) });
    const at = String(f.get('at') || '').trim();
    if (at !== '') q.set(f.get('from') === 'timestamp' ? 'timestamp' : 'offset', at);
    try {
      const r = await api(`/topics/${encodeURIComponent(f.get('topic'))}/messages?${q}`);
      $('#browse-status').className = '';
      $('#browse-status').textContent = `${r.topic}-${r.partition}: offsets ${r.startOffset} to ${r.endOffset}, showing ${r.messages.length} from ${r.from}`;
      fill($('#messages tbody'), r.messages.map((m) => el('tr', { 'data-offset': m.offset }, num(m.offset), el('td', {}, new Date(m.timestamp).toISOString()), el('td', {}, shown(m.key)), el('td', {}, shown(m.value)),
        el('td', {}, ...m.headers.map((h) => el('div', {}, `${h.key}: `, shown(h.value)))))));
    } catch (err) {
      $('#browse-status').className = 'error';
      $('#browse-status').textContent = err.message;
      fill($('#messages tbody'), []);
    }
  });

  async function tick() {
    for (const step of [refreshCluster, refreshTopics, refreshGroups, refreshThroughput]) {
      try {
        await step();
      } catch (err) {
        console.error(err);
      }
    }
  }
  // ?refresh=ms sets the polling period (250 ms at least; 2 s by default).
  const refresh = Math.max(250, Number(new URLSearchParams(window.location.search).get('refresh')) || 2000);
  tick();
  setInterval(tick, refresh);
})();
