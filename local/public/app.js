// The local try-it page: GET /presence for the initial state, then live updates over the WebSocket.
// Plain browser JavaScript, no build step. Everything shown comes from the API; text is always set
// with textContent and only http(s) URLs become links (the contract says never to trust `url`).
'use strict';

const $ = (id) => document.getElementById(id);
const state = { token: null, me: null, self: null, wsPort: null, stage: null, socket: null, friends: new Map(), profiles: {}, heartbeat: null, signedIn: false };

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

function log(direction, data) {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()} ${direction} ${data}`;
  $('log').prepend(item);
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
    const dot = document.createElement('span');
    dot.className = entry.page ? 'dot online' : 'dot';
    dot.title = entry.page ? 'online' : 'offline';
    const name = document.createElement('span');
    name.className = 'name';
    name.textContent = displayName(entry.userId);
    const when = document.createElement('span');
    when.className = 'when';
    when.textContent = entry.page ? `active ${ago(entry.lastActiveAt) || 'just now'}` : entry.lastSeenAt ? `last seen ${ago(entry.lastSeenAt)}` : '';
    item.append(dot, name, when, pageElement(entry));
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

async function loadPresence() {
  const response = await fetch('/presence', { headers: { Authorization: state.token } });
  if (!response.ok) throw new Error(`GET /presence answered ${response.status}`);
  const snapshot = await response.json();
  state.profiles = snapshot.userInfoMap || {};
  state.friends = new Map(snapshot.presenceArr.map((entry) => [entry.userId, entry]));
  state.self = snapshot.userPresence;
  $('me-name').textContent = `${displayName(state.me)} (${state.me})`;
  renderSelf(state.self);
  render();
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
  const url = `ws://${location.hostname}:${state.wsPort}/${state.stage}?Authorization=${encodeURIComponent(state.token)}`;
  const socket = new WebSocket(url);
  state.socket = socket;
  setStatus('connecting…');
  socket.addEventListener('open', () => {
    setStatus('live', 'open');
    // The extension sends a heartbeat once a minute; so does this page.
    state.heartbeat = setInterval(() => send({ action: 'heartbeat' }), 60000);
    // Friends may have changed while we were away.
    loadPresence().catch((error) => log('!', error.message));
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
  });
  socket.addEventListener('close', (event) => {
    clearInterval(state.heartbeat);
    setStatus(`disconnected (${event.code})`, 'closed');
    if (state.signedIn && state.socket === socket) setTimeout(() => state.signedIn && connect(), 2000);
  });
}

function send(message) {
  if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return;
  const text = JSON.stringify(message);
  state.socket.send(text);
  log('→', text);
}

async function start(token) {
  state.token = token;
  state.me = decodeClaims(token).sub || '?';
  state.signedIn = true;
  await loadPresence();
  $('signin').hidden = true;
  $('session').hidden = false;
  connect();
}

function signOut() {
  state.signedIn = false;
  if (state.socket) state.socket.close(1000);
  state.socket = null;
  state.token = null;
  $('session').hidden = true;
  $('signin').hidden = false;
  $('log').replaceChildren();
}

async function init() {
  const config = await (await fetch('/local/config')).json();
  state.wsPort = config.websocketPort;
  state.stage = config.stage;
  const select = $('user-select');
  for (const user of config.users) {
    const option = document.createElement('option');
    option.value = user.userId;
    option.textContent = `${user.name} (${user.userId})`;
    select.append(option);
  }

  $('demo-signin').addEventListener('submit', async (event) => {
    event.preventDefault();
    const response = await fetch('/local/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ userId: select.value }),
    });
    if (!response.ok) return alert((await response.json()).message);
    const { token } = await response.json();
    start(token).catch((error) => alert(error.message));
  });
  $('token-signin').addEventListener('submit', (event) => {
    event.preventDefault();
    start($('token-input').value.trim()).catch((error) => alert(error.message));
  });
  $('signout').addEventListener('click', signOut);
  $('update-form').addEventListener('submit', (event) => {
    event.preventDefault();
    send({ action: 'update-presence', url: $('update-url').value, title: $('update-title').value });
  });
  $('hide-page').addEventListener('click', () => send({ action: 'update-presence', url: '', title: '' }));
  // Heartbeats move lastActiveAt without a push; refresh so "active N min ago" stays true.
  setInterval(() => state.signedIn && loadPresence().catch((error) => log('!', error.message)), 30000);
}

init().catch((error) => {
  document.body.append(Object.assign(document.createElement('p'), { textContent: `Could not load the local configuration: ${error.message}` }));
});
