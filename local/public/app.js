// The local try-it page: GET /presence for the initial state, then live updates over the WebSocket.
// Plain browser JavaScript, no build step. Everything shown comes from the API; text is always set
// with textContent and only http(s) URLs become links (the contract says never to trust `url`).
'use strict';

const $ = (id) => document.getElementById(id);
const state = { token: null, me: null, self: null, wsPort: null, stage: null, socket: null, friends: new Map(), profiles: {}, heartbeat: null, signedIn: false, reconnectTimer: null };

// Errors are shown inline, next to what failed (never in a dialog); null clears the message.
function showError(id, message) {
  const element = $(id);
  element.classList.remove('resolved');
  element.textContent = message || '';
  element.hidden = !message;
}

function decodeClaims(token) {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch {
    return {};
  }
}

function ago(iso) {
  if (!iso) return null;
  const minutes = Math.floor((Date.now() - Date.parse(iso)) / 60000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours} h ago` : `${Math.floor(hours / 24)} days ago`;
}

function displayName(userId) {
  const profile = state.profiles[userId];
  return profile ? `${profile.first_name} ${profile.last_name}` : userId;
}

function firstName(userId) {
  const profile = state.profiles[userId];
  return (profile && profile.first_name) || userId;
}

// Initials on a colour derived from the user id (the profile image lives with the user service).
function avatarOf(userId, element) {
  const target = element || document.createElement('span');
  const profile = state.profiles[userId];
  const letters = profile ? `${profile.first_name.charAt(0)}${profile.last_name.charAt(0)}` : userId.slice(0, 2);
  let hash = 0;
  for (const char of userId) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  target.className = 'avatar';
  target.textContent = letters.toUpperCase();
  target.style.backgroundColor = `hsl(${hash % 360} 55% 45%)`;
  target.title = displayName(userId);
  target.setAttribute('aria-hidden', 'true');
  return target;
}

function log(direction, data) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${direction} ${data}`;
  $('log').prepend(item);
}

// GET /presence says only that a page is hidden, not why (it carries no sharing settings): explain the rule.
function hiddenReason(userId) {
  if (userId === state.me) return 'not shared: none sent yet, hidden by you, or a site your sharing settings keep private';
  const name = firstName(userId);
  return (
    `${name} shares no page right now: none sent yet, hidden by ${name}, or a site ${name}'s sharing settings keep private ` +
    '(a user shares only the sites they allow, or every site except those they block)'
  );
}

function pageElement(entry) {
  const element = document.createElement('div');
  element.className = 'page';
  if (!entry.page) {
    element.classList.add('offline');
    const latest = entry.latestPage && entry.latestPage.title;
    element.textContent = latest ? `offline · last seen on ${latest}` : 'offline';
    return element;
  }
  if (!entry.page.url) {
    element.classList.add('hidden');
    const latest = entry.latestPage && entry.latestPage.title;
    element.textContent = latest ? `online · page hidden · last shared: ${latest}` : 'online · page hidden';
    const why = document.createElement('span');
    why.className = 'why';
    why.textContent = hiddenReason(entry.userId);
    element.append(why);
    return element;
  }
  const title = entry.page.title || entry.page.url;
  if (/^https?:\/\//i.test(entry.page.url)) {
    const link = document.createElement('a');
    link.href = entry.page.url;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.textContent = title;
    element.append(link);
  } else {
    element.append(document.createTextNode(title));
  }
  if (entry.page.domain) {
    const domain = document.createElement('span');
    domain.className = 'domain';
    domain.textContent = entry.page.domain;
    element.append(domain);
  }
  return element;
}

function render() {
  const list = $('friends');
  list.replaceChildren();
  const entries = [...state.friends.values()].sort((a, b) => Number(Boolean(b.page)) - Number(Boolean(a.page)) || a.userId.localeCompare(b.userId));
  for (const entry of entries) {
    const item = document.createElement('li');
    item.className = 'friend';
    item.dataset.userId = entry.userId;
    const avatar = avatarOf(entry.userId);
    const dot = document.createElement('span');
    dot.className = entry.page ? 'dot online' : 'dot';
    dot.title = entry.page ? 'online' : 'offline';
    avatar.append(dot);
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = displayName(entry.userId);
    const when = document.createElement('span');
    when.className = 'when';
    when.textContent = entry.page ? `active ${ago(entry.lastActiveAt) || 'just now'}` : entry.lastSeenAt ? `last seen ${ago(entry.lastSeenAt)}` : '';
    item.append(avatar, name, when, pageElement(entry));
    list.append(item);
  }
  $('no-friends').hidden = entries.length > 0;
}

function renderSelf(entry) {
  const target = $('me-page');
  target.replaceChildren();
  const label = document.createElement('span');
  label.textContent = 'You: ';
  target.append(label, pageElement(entry));
}

async function errorText(response) {
  try {
    const body = await response.json();
    if (body && body.message) return `${response.status} ${body.message}`;
  } catch {
    // not JSON: the status says enough
  }
  return String(response.status);
}

// The snapshot: the initial state, again after every (re)connect (pushes sent while the socket was
// down are lost, and after Redis lost its data only a fresh snapshot is true), and every 30 s.
async function loadPresence() {
  let response;
  try {
    response = await fetch('/presence', { headers: { Authorization: state.token } });
  } catch (error) {
    throw new Error(`GET /presence failed: ${error.message} (is npm start still running?)`);
  }
  if (!response.ok) throw new Error(`GET /presence answered ${await errorText(response)}`);
  const snapshot = await response.json();
  state.profiles = snapshot.userInfoMap || {};
  state.friends = new Map(snapshot.presenceArr.map((entry) => [entry.userId, entry]));
  state.self = snapshot.userPresence;
  $('me-name').textContent = `${displayName(state.me)} (${state.me})`;
  avatarOf(state.me, $('me-avatar'));
  renderSelf(state.self);
  render();
}

function refresh() {
  return loadPresence().then(
    () => {
      const error = $('session-error');
      if (error.dataset.kind === 'refresh') showError('session-error', null);
      if (error.dataset.kind === 'reconnect') {
        error.textContent = error.textContent.replace(' — reconnecting…', ` — reconnected and refreshed at ${new Date().toLocaleTimeString()}`);
        error.dataset.kind = 'frame';
        error.classList.add('resolved');
      }
    },
    (error) => {
      showError('session-error', error.message);
      $('session-error').dataset.kind = 'refresh';
      log('!', error.message);
    },
  );
}

function applyUpdate(message) {
  const page = { url: message.url, title: message.title, domain: message.domain };
  const latestPage = message.latestUrl ? { url: message.latestUrl, title: message.latestTitle, domain: message.latestDomain } : null;
  const now = new Date().toISOString();
  if (message.userId === state.me) {
    state.self = { ...state.self, page, latestPage, lastActiveAt: now };
    renderSelf(state.self);
    return;
  }
  const entry = state.friends.get(message.userId) || { userId: message.userId };
  state.friends.set(message.userId, { ...entry, page, latestPage: latestPage || entry.latestPage || null, lastActiveAt: now, lastSeenAt: null });
  render();
}

function applyTimeout(message) {
  const entry = state.friends.get(message.userId);
  if (!entry) return;
  state.friends.set(message.userId, { ...entry, page: null, lastActiveAt: null, lastSeenAt: new Date().toISOString() });
  render();
}

function setStatus(text, className) {
  const status = $('socket-status');
  status.textContent = text;
  status.className = `status ${className || ''}`;
}

function connect() {
  clearTimeout(state.reconnectTimer);
  const url = `ws://${location.hostname}:${state.wsPort}/${state.stage}?Authorization=${encodeURIComponent(state.token)}`;
  const socket = new WebSocket(url);
  state.socket = socket;
  setStatus('connecting…');
  socket.addEventListener('open', () => {
    if (state.socket !== socket) return;
    setStatus('live', 'open');
    // The extension sends a heartbeat once a minute; so does this page.
    state.heartbeat = setInterval(() => send({ action: 'heartbeat' }), 60000);
    // Friends may have changed while we were away.
    refresh();
  });
  socket.addEventListener('message', (event) => {
    log('←', event.data);
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    if (message.type === 'update-presence') applyUpdate(message);
    else if (message.type === 'presence-timeout') applyTimeout(message);
    else if (message.type === 'error') {
      // "reconnect" (e.g. after Redis lost its data the connection is unknown): a new connection,
      // then a fresh snapshot, without waiting for the server to close this one.
      const reconnect = /reconnect/i.test(String(message.message));
      showError('session-error', `The server answered: ${message.message}${reconnect ? ' — reconnecting…' : ''}`);
      $('session-error').dataset.kind = reconnect ? 'reconnect' : 'frame';
      if (reconnect && socket.readyState === WebSocket.OPEN) socket.close(1000, 'reconnecting');
    }
  });
  socket.addEventListener('close', (event) => {
    if (state.socket !== socket) return;
    clearInterval(state.heartbeat);
    if (!state.signedIn) return;
    setStatus(`disconnected (${event.code}), reconnecting…`, 'closed');
    state.reconnectTimer = setTimeout(() => state.signedIn && state.socket === socket && connect(), 2000);
  });
}

function send(message) {
  if (!state.socket || state.socket.readyState !== WebSocket.OPEN) {
    showError('session-error', 'Not connected right now (reconnecting…): nothing was sent.');
    return;
  }
  const text = JSON.stringify(message);
  state.socket.send(text);
  log('→', text);
}

async function start(token) {
  if (!token) throw new Error('Paste a token first (npm run --silent token -- alice prints one).');
  const claims = decodeClaims(token);
  if (!claims.sub) throw new Error('That is not a token: expected three base64url parts, the output of npm run --silent token -- <user>.');
  state.token = token;
  state.me = claims.sub;
  try {
    await loadPresence();
  } catch (error) {
    state.token = null;
    throw /\b401\b/.test(error.message) ? new Error(`${error.message}: the stack refused this token (expired, or minted for another stack).`) : error;
  }
  state.signedIn = true;
  showError('signin-error', null);
  showError('session-error', null);
  $('signin').hidden = true;
  $('session').hidden = false;
  connect();
}

function signOut() {
  state.signedIn = false;
  clearTimeout(state.reconnectTimer);
  if (state.socket) state.socket.close(1000);
  state.socket = null;
  state.token = null;
  $('session').hidden = true;
  $('signin').hidden = false;
  $('log').replaceChildren();
}

// The local stack's configuration (WebSocket port, stage, demo users); the forms wait for it.
async function loadConfig() {
  const response = await fetch('/local/config');
  if (!response.ok) throw new Error(`GET /local/config answered ${response.status}`);
  const config = await response.json();
  state.wsPort = config.websocketPort;
  state.stage = config.stage;
  const select = $('user-select');
  for (const user of config.users) {
    const option = document.createElement('option');
    option.value = user.userId;
    option.textContent = `${user.name} (${user.userId})`;
    select.append(option);
  }
}

// Handlers are attached at once, so a click before the configuration arrived is never a plain form
// submission (which would reload the page); they wait for it instead.
function init() {
  const ready = loadConfig();
  ready.catch((error) => showError('signin-error', `Could not load the local configuration: ${error.message} (is npm start running?)`));
  const signInFailed = (error) => showError('signin-error', error.message);
  $('demo-signin').addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await ready;
      const response = await fetch('/local/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userId: $('user-select').value }),
      });
      if (!response.ok) throw new Error(`Sign-in failed: ${await errorText(response)}`);
      const { token } = await response.json();
      await start(token);
    } catch (error) {
      signInFailed(error);
    }
  });
  $('token-signin').addEventListener('submit', (event) => {
    event.preventDefault();
    ready.then(() => start($('token-input').value.trim())).catch(signInFailed);
  });
  $('signout').addEventListener('click', signOut);
  $('update-form').addEventListener('submit', (event) => {
    event.preventDefault();
    send({ action: 'update-presence', url: $('update-url').value, title: $('update-title').value });
  });
  $('hide-page').addEventListener('click', () => send({ action: 'update-presence', url: '', title: '' }));
  // Heartbeats move lastActiveAt without a push; refresh so "active N min ago" stays true.
  setInterval(() => state.signedIn && refresh(), 30000);
}

init();
