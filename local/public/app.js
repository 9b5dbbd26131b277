// The local try-it page, on the reference client (@presence-api/client, served from packages/client
// as ES modules): it keeps the WebSocket, the heartbeat, reconnects, renewals before the connection
// cap and the snapshot after every (re)connect. Plain browser JavaScript, no build step. Everything
// shown comes from the API; text is always set with textContent and only http(s) URLs become links
// (the contract says never to trust `url`).
import { createPresenceClient } from '/client/index.js';

const $ = (id) => document.getElementById(id);
const state = { token: null, me: null, wsPort: null, stage: null, client: null, demoUser: null, profiles: {}, unsubscribe: [] };

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
  const entries = state.client.friends().sort((a, b) => Number(Boolean(b.page)) - Number(Boolean(a.page)) || a.userId.localeCompare(b.userId));
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


function setStatus(text, className) {
  const status = $('socket-status');
  status.textContent = text;
  status.className = `status ${className || ''}`;
}

function renderAll() {
  if (!state.client) return;
  state.profiles = state.client.profiles();
  $('me-name').textContent = `${displayName(state.me)} (${state.me})`;
  avatarOf(state.me, $('me-avatar'));
  const self = state.client.me();
  if (self) renderSelf(self);
  render();
}

// The sign-in check: GET /presence with the token says at once whether the stack accepts it (a
// browser cannot see why a WebSocket handshake was refused), and fills the page before the socket opens.
async function checkToken(token) {
  let response;
  try {
    response = await fetch('/presence', { headers: { Authorization: token } });
  } catch (error) {
    throw new Error(`GET /presence failed: ${error.message} (is npm start still running?)`);
  }
  if (!response.ok) {
    const text = await errorText(response);
    const refused = response.status === 401 ? ': the stack refused this token (expired, or minted for another stack).' : '';
    throw new Error(`GET /presence answered ${text}${refused}`);
  }
  return response.json();
}

// A demo user gets a fresh token from the local sign-in whenever the client asks (before the old one
// expires, or after a refusal); a pasted token is all there is.
async function getToken() {
  if (!state.demoUser) return state.token;
  const response = await fetch('/local/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userId: state.demoUser }),
  });
  if (!response.ok) throw new Error(`the demo sign-in answered ${await errorText(response)}`);
  state.token = (await response.json()).token;
  return state.token;
}

function startClient() {
  const client = createPresenceClient({
    webSocketUrl: `ws://${location.hostname}:${state.wsPort}/${state.stage}`,
    restUrl: location.origin,
    getToken,
    visible: document.visibilityState !== 'hidden',
  });
  state.client = client;
  const on = (event, listener) => state.unsubscribe.push(client.on(event, listener));
  on('state', (clientState) => {
    if (clientState === 'connecting') setStatus('connecting…');
    else if (clientState === 'open') setStatus('live', 'open');
  });
  on('disconnected', (info) => setStatus(`disconnected (${info.code}), reconnecting…`, 'closed'));
  on('friends', renderAll);
  on('me', renderAll);
  on('synced', () => {
    const error = $('session-error');
    if (error.dataset.kind === 'reconnect') {
      error.textContent = error.textContent.replace(' — reconnecting…', ` — reconnected and refreshed at ${new Date().toLocaleTimeString()}`);
      error.dataset.kind = 'frame';
      error.classList.add('resolved');
    }
    if (error.dataset.kind === 'refresh') showError('session-error', null);
  });
  on('frame', (_frame, text) => log('←', text));
  on('sent', (sent) => log('→', sent.text));
  on('error', (error) => {
    if (error.kind === 'frame') {
      // "reconnect" (e.g. after Redis lost its data the connection is unknown): the client opens a new
      // connection at once and reads the snapshot again.
      const reconnect = error.action === 'reconnect';
      showError('session-error', `The server answered: ${error.message}${reconnect ? ' — reconnecting…' : ''}`);
      $('session-error').dataset.kind = reconnect ? 'reconnect' : 'frame';
    } else if (error.kind === 'send') {
      showError('session-error', `Not sent: ${error.message}`);
      $('session-error').dataset.kind = 'frame';
    } else {
      log('!', error.message);
      if (error.kind === 'snapshot') {
        showError('session-error', error.message);
        $('session-error').dataset.kind = 'refresh';
      }
    }
  });
  client.start();
}

async function start(token, demoUser) {
  if (!token) throw new Error('Paste a token first (npm run --silent token -- alice prints one).');
  const claims = decodeClaims(token);
  if (!claims.sub) throw new Error('That is not a token: expected three base64url parts, the output of npm run --silent token -- <user>.');
  const snapshot = await checkToken(token);
  state.token = token;
  state.demoUser = demoUser || null;
  // The user id is whichever claim the stack reads (USER_ID_CLAIM): the snapshot says which user this is.
  state.me = (snapshot.userPresence && snapshot.userPresence.userId) || claims['cognito:username'] || claims.sub;
  state.profiles = snapshot.userInfoMap || {};
  showError('signin-error', null);
  showError('session-error', null);
  $('signin').hidden = true;
  $('session').hidden = false;
  $('me-name').textContent = `${displayName(state.me)} (${state.me})`;
  avatarOf(state.me, $('me-avatar'));
  if (snapshot.userPresence) renderSelf(snapshot.userPresence);
  startClient();
}

function signOut() {
  if (state.client) state.client.stop();
  for (const unsubscribe of state.unsubscribe.splice(0)) unsubscribe();
  state.client = null;
  state.token = null;
  state.demoUser = null;
  $('session').hidden = true;
  $('signin').hidden = false;
  $('log').replaceChildren();
  $('friends').replaceChildren();
}

function sendPage(url, title) {
  if (!state.client) return;
  const sent = state.client.setPage(url, title);
  if (!sent && state.client.state !== 'open') {
    showError('session-error', 'Not connected right now (reconnecting…): the page is sent once the connection is back.');
    $('session-error').dataset.kind = 'frame';
  }
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
      const userId = $('user-select').value;
      const response = await fetch('/local/token', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userId }),
      });
      if (!response.ok) throw new Error(`Sign-in failed: ${await errorText(response)}`);
      const { token } = await response.json();
      await start(token, userId);
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
    sendPage($('update-url').value, $('update-title').value);
  });
  $('hide-page').addEventListener('click', () => sendPage('', ''));
  // With subscription levels on, the client asks for pages only while the list is on screen.
  document.addEventListener('visibilitychange', () => state.client && state.client.setVisible(document.visibilityState !== 'hidden'));
  // Heartbeats move lastActiveAt without a push; read the snapshot again so "active N min ago" stays true.
  setInterval(async () => {
    if (!state.client || state.client.state !== 'open') return;
    if ((await state.client.refresh()) && $('session-error').dataset.kind === 'refresh') showError('session-error', null);
  }, 30000);
}

init();
