/** German (Deutsch), loaded when asked for: informal "du" throughout. */
import { plural, type Messages } from './messages.js';

const s = (count: number, one: string, other: string): string => plural('de', count, { one, other });
const n = (count: number): string => count.toLocaleString('de');

export const de: Messages = {
  languageName: 'Deutsch',
  direction: 'ltr',

  noRoom: 'Kein Raum ausgewählt.',
  participants: 'Teilnehmende',
  inThisRoom: 'In diesem Raum',
  you: 'Du',
  messages: 'Nachrichten',
  emptyLog: 'Noch keine Nachrichten. Sag hallo – Nachrichten gehen direkt an die Leute in diesem Raum.',
  messageBox: 'Nachricht',
  messagePlaceholder: 'Schreib eine Nachricht…',
  messageHint: 'Eingabe sendet · Umschalt+Eingabe beginnt eine neue Zeile',
  send: 'Senden',
  joinAgain: 'Wieder beitreten',
  verified: 'Verifiziert',
  identityTag: 'Identitätskürzel',
  about: 'Über {name}',
  identityChanged: 'Jemand namens {name} wurde in diesem Raum schon einmal mit einem anderen Schlüssel verifiziert. Das ist nicht diese Person – oder sie nutzt ein neues Gerät oder einen neuen Tab.',
  safetyHelp: 'Frag {name} persönlich oder bei einem Anruf, was Parley dort für dich anzeigt. Stimmen beide Codes überein, sitzt niemand zwischen euch.',
  markVerified: '{name} als verifiziert markieren',
  safetyPending: 'Ein Sicherheitscode erscheint, sobald {name} den Schlüssel dieses Raums nachgewiesen hat.',
  notTheVerified: '{name}, aber nicht die von dir verifizierte Person',
  safetyCode: 'Sicherheitscode',
  verifiedUndo: 'Verifiziert ✓ · rückgängig',

  composerEmpty: 'Schreib zuerst eine Nachricht.',
  composerTooLong: (max, length) =>
    `Nachrichten dürfen höchstens ${s(max, 'ein Zeichen', `${n(max)} Zeichen`)} lang sein; diese hat ${n(length)}.`,
  composerClosed: 'Dieser Raum wurde verlassen.',
  composerNotReady: 'Der Raum startet noch; versuch es gleich noch einmal.',

  peerState: {
    connecting: 'Verbindet…',
    connected: 'Verbunden',
    reconnecting: 'Verbindet erneut…',
    failed: 'Verbindung fehlgeschlagen',
  },
  peerProblem: {
    'no-room-key': {
      short: 'Schlüssel dieses Raums nicht nachgewiesen',
      long: 'Der Schlüssel dieses Raums konnte nicht nachgewiesen werden, deshalb hat Parley die Verbindung getrennt. Wer nur die Adresse des Raums auf dem Server kennt, kann nicht teilnehmen.',
    },
    'no-proof': {
      short: 'Schlüssel dieses Raums nicht nachgewiesen',
      long: 'Der Schlüssel dieses Raums wurde nicht rechtzeitig nachgewiesen, deshalb hat Parley die Verbindung getrennt.',
    },
    'no-fingerprint': {
      short: 'Schlüssel dieses Raums nicht nachgewiesen',
      long: 'Die Verbindung brachte kein Zertifikat mit, mit dem sich etwas nachweisen ließe, deshalb hat Parley sie getrennt.',
    },
    'wrong-id': {
      short: 'Hat eine fremde Identität beansprucht',
      long: 'Hier wurde für die Identität einer anderen Person geantwortet, ohne deren Schlüssel zu haben, deshalb hat Parley die Verbindung getrennt.',
    },
    'bad-signature': {
      short: 'Identität nicht nachgewiesen',
      long: 'Die Signatur passte nicht zur Identität, deshalb hat Parley die Verbindung getrennt.',
    },
    'tampered-signaling': {
      short: 'Verbindungsdaten wurden manipuliert',
      long: 'Verbindungsdaten für diese Person wurden unterwegs (vom Server oder im Netzwerk) verändert, wiederholt oder umgeleitet und deshalb verworfen. Nachrichten lassen sich so nicht fälschen, aber die Verbindung kann fehlschlagen.',
    },
  },
  linkRoute: {
    'local-network': 'Direkt im lokalen Netzwerk',
    'through-nat': 'Direkt über NAT',
    relayed: 'Über TURN weitergeleitet',
  },
  linkFailure: {
    'no-ice-servers': {
      short: 'Kein Weg zwischen euren Netzwerken',
      long: 'Es wurde kein direkter Weg gefunden, und dieser Server bietet keinen STUN- oder TURN-Server an. Verbinden können sich also nur Leute im selben Netzwerk.',
    },
    'no-turn': {
      short: 'Kein direkter Weg · kein TURN-Server',
      long: 'Es wurde kein direkter Weg durch die Router zwischen euch gefunden, und es ist kein TURN-Server eingerichtet; Leute in strengen Netzwerken brauchen einen.',
    },
    'turn-refused': {
      short: 'TURN hat die Zugangsdaten abgelehnt',
      long: 'Es wurde kein direkter Weg gefunden, und der TURN-Server hat die Zugangsdaten abgelehnt (abgelaufen oder nicht mit seinem Geheimschlüssel erzeugt).',
    },
    'turn-unreachable': {
      short: 'TURN-Server nicht erreichbar',
      long: 'Es wurde kein direkter Weg gefunden, und der TURN-Server ist aus diesem Netzwerk nicht erreichbar.',
    },
    'no-path': {
      short: 'Kein Weg, auch nicht weitergeleitet',
      long: 'Es wurde kein Weg gefunden, nicht einmal über den TURN-Server. Vielleicht blockiert das Netzwerk der anderen Person die Verbindung.',
    },
  },
  roundTrip: (ms) => `${ms}\u00a0ms Umlaufzeit`,
  unnamedPeer: 'Jemand kommt dazu',
  tamperedBlocked: 'Verbunden · manipulierte Daten blockiert',
  verifiedConnected: 'Verifiziert · verbunden',

  statusConnecting: 'Verbindung zum Signalisierungsserver wird hergestellt…',
  statusAlone: 'Verbunden · warten, bis andere den Raumlink öffnen',
  statusConnectingToOthers: 'Mit dem Server verbunden · direkte Verbindung zu den anderen wird aufgebaut…',
  statusDirect: 'Verbunden · der Chat läuft direkt zwischen den Browsern',
  retryingIn: (seconds) => s(seconds, 'neuer Versuch in einer Sekunde', `neuer Versuch in ${n(seconds)} Sekunden`),
  reconnectingNow: 'verbindet erneut…',
  serverBusy: (retry) => `Der Signalisierungsserver ist ausgelastet · ${retry}`,
  serverUnreachable: (retry) => `Signalisierungsserver nicht erreichbar · ${retry}`,
  serverUnreachableChatGoesOn: (retry) =>
    `Signalisierungsserver nicht erreichbar · ${retry} · der Chat geht mit den bereits verbundenen Leuten weiter`,
  refused: 'Der Server hat dich nicht in diesen Raum gelassen.',
  left: 'Du hast diesen Raum verlassen.',
  refusedBadRoomKey: 'Dieser Raumschlüssel ist zu kurz oder enthält Zeichen, die ein Schlüssel nicht haben kann: Nimm einen Raumlink, der mit „Neuer Raum“ erstellt wurde.',
  refusedInsecure: 'Diese Seite kann nicht verschlüsseln: Öffne sie über https:// (oder auf localhost). Parley sendet einen Chat nie unverschlüsselt.',
  refusedOrigin: (site) =>
    `Dieser Parley-Server nimmt keine Chats von dieser Website an (${site}). Wer ihn betreibt, kann die Website mit ALLOWED_ORIGINS zulassen.`,
  refusedRoomFull: 'Dieser Raum ist voll.',
  refusedVersion: 'Diese Seite ist älter als der Server: Lade sie neu.',
  openedElsewhere: 'Dieser Chat wurde in einem anderen Tab oder Fenster erneut geöffnet, deshalb wurde er hier beendet.',

  notDeliveredTo: (names, reason) => `Nicht zugestellt an ${names}: ${reason}`,
  undeliverableTooOld: (minutes) => s(minutes, 'seit über einer Minute nicht erreichbar', `seit über ${n(minutes)} Minuten nicht erreichbar`),
  undeliverableOutboxFull: 'zu viele wartende Nachrichten',
  someoneWhoLeft: 'eine nicht mehr anwesende Person',
  nobodyYet: 'Sonst ist noch niemand hier · wer dazukommt, sieht sie',
  delivered: 'Zugestellt',
  deliveredToAll: (count) => s(count, 'Zugestellt', `An alle ${n(count)} zugestellt`),
  sending: 'Wird gesendet…',
  deliveredOf: (delivered, total) => `An ${n(delivered)} von ${n(total)} ${s(total, 'Person', 'Personen')} zugestellt`,

  announceOne: (author, text) => `${author}: ${text}`,
  announceSeveral: (count, author, text) => `${s(count, 'Eine neue Nachricht', `${n(count)} neue Nachrichten`)}. ${author}: ${text}`,

  messageActions: 'Aktionen zur Nachricht',
  reply: 'Antworten',
  edit: 'Bearbeiten',
  delete: 'Löschen',
  deleteConfirm: 'Für alle löschen?',
  edited: 'bearbeitet',
  deletedMessage: 'Nachricht gelöscht',
  replyQuote: 'Antwort an {name}: zur Nachricht springen',
  quoteMissing: 'Eine Nachricht, die hier fehlt',
  replyingTo: 'Antwort an {name}',
  editingMessage: 'Du bearbeitest deine Nachricht',
  cancel: 'Abbrechen',
  reactWith: (emoji) => `Mit ${emoji} reagieren`,
  reactedBy: (emoji, names) => `${emoji} von ${names}`,

  attachFiles: 'Dateien anhängen',
  preparingFile: '{name} wird vorbereitet…',
  download: 'Herunterladen',
  save: 'Speichern',
  tryAgain: 'Nochmal versuchen',
  stopSharing: 'Nicht mehr teilen',
  fileWaiting: 'Warte auf {name}…',
  fileProgress: (done, total, speed, left) => [`${done} von ${total}`, speed, left && `noch ${left}`].filter(Boolean).join(' · '),
  filePaused: 'Pausiert · geht weiter, sobald {name} wieder da ist',
  fileVerifying: 'Datei wird geprüft…',
  fileReceived: 'Empfangen und geprüft',
  fileSavedToDownloads: 'Empfangen und geprüft: in deinen Downloads gespeichert',
  fileStoppedBySender: '{name} teilt diese Datei nicht mehr',
  fileCancelled: 'Download abgebrochen',
  fileUnavailable: '{name} hat diese Datei nicht mehr',
  fileCorrupt: 'Die Datei kam beschädigt an und wurde verworfen',
  fileProtocol: 'Die Übertragung brach ab: die Seite von {name} hat Ungültiges gesendet',
  fileStorage: 'Nicht genug Speicherplatz in diesem Browser für diese Datei',
  fileDownloadStopped: 'Der Download im Browser wurde abgebrochen',
  fileSentTo: (names) => `Gesendet an ${names}`,
  fileSendingTo: (name, percent) => `Wird an ${name} gesendet: ${percent}`,
  fileNotSentYet: 'Angeboten · noch niemand hat sie heruntergeladen',
  fileNotShared: 'Wird nicht mehr geteilt',
  fileDetails: (size, type) => (type ? `${size} · ${type}` : size),

  newMessagesLine: 'Neue Nachrichten',
  jumpToLatest: 'Zur neuesten Nachricht springen',
  unreadBelow: (count) => s(count, 'Eine neue Nachricht', `${n(count)} neue Nachrichten`),

  typing: (count, names) => (count > 3 ? `${n(count)} Personen schreiben…` : `${names} ${s(count, 'schreibt', 'schreiben')} gerade…`),
};
