/** A friendly default display name, such as "Calm Otter", for people who have not picked one. */

const ADJECTIVES = [
  'Amber', 'Brave', 'Bright', 'Calm', 'Clever', 'Cosmic', 'Curious', 'Gentle', 'Happy', 'Jolly',
  'Keen', 'Lucky', 'Mellow', 'Nimble', 'Quiet', 'Rapid', 'Sunny', 'Swift', 'Witty', 'Zesty',
];
const ANIMALS = [
  'Badger', 'Crane', 'Dolphin', 'Falcon', 'Fox', 'Heron', 'Koala', 'Lynx', 'Marten', 'Otter',
  'Owl', 'Panda', 'Puffin', 'Raven', 'Robin', 'Seal', 'Tiger', 'Walrus', 'Wombat', 'Yak',
];

function pick<T>(items: readonly T[]): T {
  const index = crypto.getRandomValues(new Uint32Array(1))[0]! % items.length;
  return items[index]!;
}

export function friendlyName(): string {
  return `${pick(ADJECTIVES)} ${pick(ANIMALS)}`;
}
