/** Arabic (العربية), loaded when asked for: right to left, counts in all six Arabic plural forms. */
import { plural, type Messages } from './messages.js';

/** The six Arabic forms: 0, 1, 2, 3–10 (plural noun), 11–99 (singular accusative noun), 100 and up (singular genitive noun). */
type ArabicForms = Record<'zero' | 'one' | 'two' | 'few' | 'many' | 'other', string>;

const p = (count: number, forms: ArabicForms): string => plural('ar', count, forms);
const n = (count: number): string => count.toLocaleString('ar');

/** "N new messages", in all six forms. */
const newMessages = (count: number): string =>
  p(count, {
    zero: 'لا رسائل جديدة',
    one: 'رسالة جديدة واحدة',
    two: 'رسالتان جديدتان',
    few: `${n(count)} رسائل جديدة`,
    many: `${n(count)} رسالةً جديدةً`,
    other: `${n(count)} رسالة جديدة`,
  });

/** "N characters" as a subject or predicate (nominative). */
const characters = (count: number): string =>
  p(count, {
    zero: `${n(count)} حرف`,
    one: 'حرف واحد',
    two: 'حرفان',
    few: `${n(count)} أحرف`,
    many: `${n(count)} حرفًا`,
    other: `${n(count)} حرف`,
  });

export const ar: Messages = {
  languageName: 'العربية',
  direction: 'rtl',

  noRoom: 'لم يتم اختيار أي غرفة.',
  participants: 'المشاركون',
  inThisRoom: 'في هذه الغرفة',
  you: 'أنت',
  messages: 'الرسائل',
  emptyLog: 'لا رسائل بعد. ألقِ التحية — تصل الرسائل مباشرةً إلى الموجودين في هذه الغرفة.',
  messageBox: 'رسالة',
  messagePlaceholder: 'اكتب رسالة…',
  messageHint: 'Enter للإرسال · Shift+Enter لبدء سطر جديد',
  send: 'إرسال',
  joinAgain: 'إعادة الانضمام',
  verified: 'تم التحقق',
  identityTag: 'وسم الهوية',
  about: 'عن {name}',
  identityChanged: 'سبق التحقق في هذه الغرفة من شخص يُدعى {name} بمفتاح آخر. هذا ليس ذلك الشخص، أو أنه يستخدم جهازًا جديدًا أو علامة تبويب جديدة.',
  safetyHelp: 'اسأل {name}، وجهًا لوجه أو في مكالمة، عمّا يعرضه Parley عنك على جهازه. إذا تطابق الرمزان، فلا أحد بينكما.',
  markVerified: 'تأكيد التحقق من {name}',
  safetyPending: 'يظهر رمز الأمان بعد أن يُثبت {name} امتلاكه مفتاح هذه الغرفة.',
  notTheVerified: 'ليس {name} الذي تحققت منه',
  safetyCode: 'رمز الأمان',
  verifiedUndo: 'تم التحقق ✓ · تراجع',

  composerEmpty: 'اكتب رسالة أولًا.',
  composerTooLong: (max, length) => `الحد الأقصى لطول الرسالة ${characters(max)}؛ وفي هذه الرسالة ${characters(length)}.`,
  composerClosed: 'تمت مغادرة هذه الغرفة.',
  composerNotReady: 'لا تزال الغرفة قيد البدء؛ حاول مجددًا بعد لحظة.',

  peerState: {
    connecting: 'جارٍ الاتصال…',
    connected: 'متصل',
    reconnecting: 'جارٍ إعادة الاتصال…',
    failed: 'فشل الاتصال',
  },
  peerProblem: {
    'no-room-key': {
      short: 'تعذّر إثبات امتلاك مفتاح هذه الغرفة',
      long: 'تعذّر عليه إثبات امتلاكه مفتاح هذه الغرفة، فقطع Parley الاتصال به. لا يستطيع من يعرف عنوان الغرفة على الخادم فحسب أن يشارك.',
    },
    'no-proof': {
      short: 'تعذّر إثبات امتلاك مفتاح هذه الغرفة',
      long: 'لم يُثبت امتلاكه مفتاح هذه الغرفة في الوقت المحدد، فقطع Parley الاتصال به.',
    },
    'no-fingerprint': {
      short: 'تعذّر إثبات امتلاك مفتاح هذه الغرفة',
      long: 'لم يحمل اتصاله أي شهادة يمكن الإثبات بها، فقطع Parley الاتصال به.',
    },
    'wrong-id': {
      short: 'ادّعى هوية ليست هويته',
      long: 'ردّ باسم هوية شخص آخر دون أن يملك مفتاح ذلك الشخص، فقطع Parley الاتصال به.',
    },
    'bad-signature': {
      short: 'تعذّر إثبات هويته',
      long: 'لم يتطابق توقيعه مع هويته، فقطع Parley الاتصال به.',
    },
    'tampered-signaling': {
      short: 'تم التلاعب ببيانات الاتصال',
      long: 'غُيّرت بيانات الاتصال الخاصة بهذا الشخص أو أُعيد إرسالها أو حُوّلت في الطريق (من الخادم أو من الشبكة)، فتم تجاهلها. لا يمكن تزوير الرسائل بهذه الطريقة، لكن قد يفشل الاتصال.',
    },
  },
  linkRoute: {
    'local-network': 'مباشر عبر الشبكة المحلية',
    'through-nat': 'مباشر عبر NAT',
    relayed: 'مُمرَّر عبر TURN',
  },
  linkFailure: {
    'no-ice-servers': {
      short: 'لا مسار بين شبكتيكما',
      long: 'لم يُعثر على مسار مباشر، وهذا الخادم لا يوفّر خادم STUN أو TURN، لذا لا يمكن الاتصال إلا لمن هم على الشبكة نفسها.',
    },
    'no-turn': {
      short: 'لا مسار مباشر · لا خادم TURN',
      long: 'لم يُعثر على مسار مباشر عبر أجهزة التوجيه بينكما، ولم يُضبط أي خادم TURN؛ ومن هم على شبكات مقيّدة يحتاجون إليه.',
    },
    'turn-refused': {
      short: 'رفض TURN بيانات الاعتماد',
      long: 'لم يُعثر على مسار مباشر، ورفض خادم TURN بيانات الاعتماد (منتهية الصلاحية، أو لم تُنشأ بمفتاحه السري).',
    },
    'turn-unreachable': {
      short: 'تعذّر الوصول إلى خادم TURN',
      long: 'لم يُعثر على مسار مباشر، وتعذّر الوصول إلى خادم TURN من هذه الشبكة.',
    },
    'no-path': {
      short: 'لا مسار، ولا حتى عبر التمرير',
      long: 'لم يُعثر على أي مسار، ولا حتى عبر خادم TURN. ربما تحجبه شبكة الطرف الآخر.',
    },
  },
  roundTrip: (ms) => `زمن الذهاب والإياب ${ms}\u00a0ms`,
  unnamedPeer: 'شخص ينضم',
  tamperedBlocked: 'متصل · تم حظر بيانات متلاعب بها',
  verifiedConnected: 'تم التحقق · متصل',

  statusConnecting: 'جارٍ الاتصال بخادم الإشارات…',
  statusAlone: 'متصل · في انتظار أن يفتح الآخرون رابط الغرفة',
  statusConnectingToOthers: 'متصل بالخادم · جارٍ الاتصال بالآخرين مباشرةً…',
  statusDirect: 'متصل · تجري المحادثة مباشرةً بين المتصفحات',
  retryingIn: (seconds) =>
    p(seconds, {
      zero: 'إعادة المحاولة الآن',
      one: 'إعادة المحاولة بعد ثانية واحدة',
      two: 'إعادة المحاولة بعد ثانيتين',
      few: `إعادة المحاولة بعد ${n(seconds)} ثوانٍ`,
      many: `إعادة المحاولة بعد ${n(seconds)} ثانيةً`,
      other: `إعادة المحاولة بعد ${n(seconds)} ثانية`,
    }),
  reconnectingNow: 'جارٍ إعادة الاتصال…',
  serverBusy: (retry) => `خادم الإشارات مشغول · ${retry}`,
  serverUnreachable: (retry) => `تعذّر الوصول إلى خادم الإشارات · ${retry}`,
  serverUnreachableChatGoesOn: (retry) => `تعذّر الوصول إلى خادم الإشارات · ${retry} · تستمر المحادثة مع المتصلين بالفعل`,
  refused: 'رفض الخادم انضمامك إلى هذه الغرفة.',
  left: 'غادرت هذه الغرفة.',
  refusedBadRoomKey: 'مفتاح الغرفة هذا قصير جدًا أو يحتوي على أحرف لا يمكن أن يحتويها مفتاح: استخدم رابط غرفة أُنشئ عبر «غرفة جديدة».',
  refusedInsecure: 'لا تستطيع هذه الصفحة التشفير: افتحها عبر https:// (أو على localhost). لا يرسل Parley أي محادثة دون تشفير.',
  refusedOrigin: (site) => `لا يقبل خادم Parley هذا محادثات من هذا الموقع (${site}). يمكن لمشغّله السماح بالموقع عبر ALLOWED_ORIGINS.`,
  refusedRoomFull: 'هذه الغرفة ممتلئة.',
  refusedVersion: 'هذه الصفحة أقدم من الخادم: أعد تحميلها.',
  openedElsewhere: 'فُتحت هذه المحادثة مجددًا في علامة تبويب أو نافذة أخرى، لذا توقفت هنا.',

  notDeliveredTo: (names, reason) => `لم تُسلَّم إلى ${names}: ${reason}`,
  undeliverableTooOld: (minutes) =>
    p(minutes, {
      zero: 'تعذّر الوصول',
      one: 'تعذّر الوصول منذ أكثر من دقيقة',
      two: 'تعذّر الوصول منذ أكثر من دقيقتين',
      few: `تعذّر الوصول منذ أكثر من ${n(minutes)} دقائق`,
      many: `تعذّر الوصول منذ أكثر من ${n(minutes)} دقيقةً`,
      other: `تعذّر الوصول منذ أكثر من ${n(minutes)} دقيقة`,
    }),
  undeliverableOutboxFull: 'رسائل كثيرة جدًا بانتظار التسليم',
  someoneWhoLeft: 'شخص غادر',
  nobodyYet: 'لا أحد غيرك هنا بعد · سيراها من ينضم',
  delivered: 'تم التسليم',
  deliveredToAll: (count) =>
    p(count, {
      zero: 'تم التسليم إلى الجميع',
      one: 'تم التسليم إلى الجميع (شخص واحد)',
      two: 'تم التسليم إلى الجميع (شخصان)',
      few: `تم التسليم إلى الجميع (${n(count)} أشخاص)`,
      many: `تم التسليم إلى الجميع (${n(count)} شخصًا)`,
      other: `تم التسليم إلى الجميع (${n(count)} شخص)`,
    }),
  sending: 'جارٍ الإرسال…',
  deliveredOf: (delivered, total) =>
    p(delivered, {
      zero: `لم يتم التسليم بعد (${n(delivered)} من أصل ${n(total)})`,
      one: `تم التسليم إلى شخص واحد من أصل ${n(total)}`,
      two: `تم التسليم إلى شخصين من أصل ${n(total)}`,
      few: `تم التسليم إلى ${n(delivered)} أشخاص من أصل ${n(total)}`,
      many: `تم التسليم إلى ${n(delivered)} شخصًا من أصل ${n(total)}`,
      other: `تم التسليم إلى ${n(delivered)} شخص من أصل ${n(total)}`,
    }),

  announceOne: (author, text) => `${author}: ${text}`,
  announceSeveral: (count, author, text) => `${newMessages(count)}. ${author}: ${text}`,

  messageActions: 'إجراءات الرسالة',
  reply: 'رد',
  edit: 'تعديل',
  delete: 'حذف',
  deleteConfirm: 'حذف للجميع؟',
  edited: 'معدّلة',
  deletedMessage: 'حُذفت الرسالة',
  replyQuote: 'رد على {name}: انتقل إلى الرسالة',
  quoteMissing: 'رسالة غير موجودة هنا',
  replyingTo: 'رد على {name}',
  editingMessage: 'تعديل رسالتك',
  cancel: 'إلغاء',
  reactWith: (emoji) => `تفاعل بـ ${emoji}`,
  reactedBy: (emoji, names) => `${emoji} من ${names}`,

  attachFiles: 'إرفاق ملفات',
  preparingFile: 'جارٍ تجهيز {name}…',
  download: 'تنزيل',
  save: 'حفظ',
  tryAgain: 'أعد المحاولة',
  stopSharing: 'إيقاف المشاركة',
  fileWaiting: 'بانتظار {name}…',
  fileProgress: (done, total, speed, left) => [`${done} من ${total}`, speed, left && `متبقٍ ${left}`].filter(Boolean).join(' · '),
  filePaused: 'متوقف مؤقتًا · يستأنف عند عودة {name}',
  fileVerifying: 'جارٍ التحقق من الملف…',
  fileReceived: 'استُلم وتم التحقق منه',
  fileSavedToDownloads: 'استُلم وتم التحقق منه: حُفظ في التنزيلات',
  fileStoppedBySender: 'أوقف {name} مشاركة هذا الملف',
  fileCancelled: 'أُلغي التنزيل',
  fileUnavailable: 'لم يعد هذا الملف لدى {name}',
  fileCorrupt: 'وصل الملف تالفًا فتم التخلص منه',
  fileProtocol: 'توقف النقل: أرسلت صفحة {name} بيانات غير صالحة',
  fileStorage: 'لا توجد مساحة تخزين كافية في هذا المتصفح لهذا الملف',
  fileDownloadStopped: 'توقف التنزيل في المتصفح',
  fileSentTo: (names) => `أُرسل إلى ${names}`,
  fileSendingTo: (name, percent) => `جارٍ الإرسال إلى ${name}: ${percent}`,
  fileNotSentYet: 'معروض · لم ينزّله أحد بعد',
  fileNotShared: 'لم يعد مُشاركًا',
  fileDetails: (size, type) => (type ? `${size} · ${type}` : size),

  newMessagesLine: 'رسائل جديدة',
  jumpToLatest: 'انتقل إلى أحدث رسالة',
  unreadBelow: (count) => newMessages(count),

  typing: (count, names) =>
    count > 3
      ? p(count, {
          zero: 'لا أحد يكتب',
          one: 'شخص واحد يكتب…',
          two: 'شخصان يكتبان…',
          few: `${n(count)} أشخاص يكتبون…`,
          many: `${n(count)} شخصًا يكتبون…`,
          other: `${n(count)} شخص يكتبون…`,
        })
      : count === 1
        ? `${names} يكتب…`
        : count === 2
          ? `${names} يكتبان…`
          : `${names} يكتبون…`,
};
