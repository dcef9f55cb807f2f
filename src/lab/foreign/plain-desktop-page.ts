// A home-grown Agent Desktop, written the way a customer's own integration might be and independently of Lifeline's
// desktop (src/desktop): one page, main-thread timers only (setInterval: throttled in a hidden tab), no error
// report, no resume. Subscribe, open the socket, send {"keepalive":"true"} at open and every keepaliveMs, treat any
// message as proof of life, and when nothing arrived for silenceMs close the socket and retry every retryMs (no
// jitter, like Cisco's SDK) until recoveryMs have passed; a subscribe call gets silenceMs to answer. A top-level AGENT_MULTI_LOGIN ends the session.
// Timers come from the query string: ?agentId=&keepaliveMs=&silenceMs=&recoveryMs=&retryMs=
export const PLAIN_DESKTOP_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Plain desktop</title></head>
<body><h1>Plain desktop</h1><p id="state">starting</p>
<script>
(function () {
  var q = new URLSearchParams(location.search);
  var num = function (k, d) { var v = Number(q.get(k)); return v > 0 ? v : d; };
  var agentId = q.get('agentId') || 'agent';
  var keepaliveMs = num('keepaliveMs', 4000), silenceMs = num('silenceMs', 16000);
  var recoveryMs = num('recoveryMs', 50000), retryMs = num('retryMs', 5000);
  var ws = null, sender = null, watchdog = null, retry = null, lastRx = 0, lostAt = 0, ended = false;
  function show(s) { document.getElementById('state').textContent = s; }
  function stopTimers() { clearInterval(sender); clearInterval(watchdog); sender = watchdog = null; }
  function lost(why) {
    stopTimers();
    if (ws) { try { ws.close(); } catch (e) {} ws = null; }
    if (ended) return;
    if (!lostAt) lostAt = Date.now();
    if (Date.now() - lostAt > recoveryMs) { show('lost: ' + why); return; }
    show('reconnecting: ' + why);
    clearTimeout(retry);
    retry = setTimeout(connect, retryMs);
  }
  function connect() {
    var abort = new AbortController();
    var limit = setTimeout(function () { abort.abort(); }, silenceMs);
    fetch('/v1/notification/subscribe', {
      method: 'POST',
      signal: abort.signal,
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + agentId },
      body: JSON.stringify({ force: true, isKeepAliveEnabled: true, clientType: 'PlainDesktop', allowMultiLogin: false })
    }).then(function (r) { clearTimeout(limit); if (!r.ok) throw new Error('subscribe ' + r.status); return r.json(); })
      .then(function (sub) { open(sub.webSocketUrl); })
      .catch(function (e) { lost(String(e && e.message || e)); });
  }
  function open(url) {
    var s = new WebSocket(url);
    ws = s;
    s.onopen = function () {
      lastRx = Date.now();
      s.send('{"keepalive":"true"}');
      sender = setInterval(function () { if (s.readyState === 1) s.send('{"keepalive":"true"}'); }, keepaliveMs);
      watchdog = setInterval(function () { if (Date.now() - lastRx > silenceMs) lost('silence'); }, Math.min(1000, silenceMs / 4));
    };
    s.onmessage = function (ev) {
      lastRx = Date.now();
      var m = null;
      try { m = JSON.parse(ev.data); } catch (e) {}
      if (m && m.type === 'Welcome') { lostAt = 0; show('connected'); }
      if (m && m.type === 'AGENT_MULTI_LOGIN') { ended = true; stopTimers(); s.close(1000, 'multi-login'); show('signed in elsewhere'); }
    };
    s.onclose = function () { if (ws === s) { ws = null; lost('closed'); } };
  }
  window.plainDesktop = { state: function () { return document.getElementById('state').textContent; } };
  connect();
})();
</script></body></html>
`;
