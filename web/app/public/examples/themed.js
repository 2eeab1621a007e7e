// The example's behaviour: a room key from the address (a new one if there is none), the theme
// switch, and a list of the element's events.
const desk = document.getElementById('desk');

function newRoomKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

if (location.hash.length <= 1) history.replaceState(null, '', `#${newRoomKey()}`);
desk.room = location.hash.slice(1);

for (const input of document.querySelectorAll('input[name=theme]')) {
  input.addEventListener('change', () => (desk.theme = input.value));
}

const list = document.getElementById('events');
const EVENTS = ['parley-status-change', 'parley-peer-joined', 'parley-peer-left', 'parley-message', 'parley-receipt', 'parley-verification', 'parley-security', 'parley-link-path', 'parley-link-failed'];
function describe(event) {
  const detail = event.detail;
  if (detail.status) return detail.status.phase;
  if (detail.message) return `${detail.message.authorName}: ${detail.message.text}`;
  if (detail.peer && event.type === 'parley-verification') return `${detail.peer.name || 'someone joining'}: safety code ${detail.peer.safetyCode ?? '—'}${detail.peer.verified ? ', verified' : ''}`;
  if (detail.peer) return detail.peer.name || detail.peer.id;
  if (detail.delivery) return `${detail.delivery.delivered} of ${detail.delivery.total}`;
  if (detail.path) return detail.path.route;
  if (detail.failure) return detail.failure;
  return '';
}
for (const type of EVENTS) {
  desk.addEventListener(type, (event) => {
    const item = document.createElement('li');
    item.textContent = `${type} ${describe(event)}`;
    list.append(item);
    list.scrollTop = list.scrollHeight;
  });
}
