// Demo accounts of the ChartGuard test identity provider.
//
// This is the single source of truth for the demo users: the server, the tests
// and the documentation all read this module. All accounts share one demo
// password. These are fictitious people; never reuse this data outside
// demos and tests.

import { createHash, timingSafeEqual } from 'node:crypto';

export const DEMO_PASSWORD = 'chartguard-demo';

export const DEFAULT_HOSPITAL = "City First People's Hospital";

/**
 * username -> profile. `sub` is the stable subject identifier; the username is
 * also published as `preferred_username`.
 */
export const ACCOUNTS = Object.freeze({
  wangyi: Object.freeze({
    sub: 'doc-wangyi',
    name: '王毅',
    staff_no: 'D1001',
    roles: Object.freeze(['doctor']),
    department: 'cardiology',
    hospital: DEFAULT_HOSPITAL,
    locked: false,
  }),
  lihua: Object.freeze({
    sub: 'head-lihua',
    name: '李华',
    staff_no: 'H2001',
    roles: Object.freeze(['doctor', 'department_head']),
    department: 'cardiology',
    hospital: DEFAULT_HOSPITAL,
    locked: false,
  }),
  chen: Object.freeze({
    sub: 'doc-chen',
    name: 'Dr. Emma Chen',
    staff_no: 'D1002',
    roles: Object.freeze(['doctor']),
    department: 'nephrology',
    hospital: DEFAULT_HOSPITAL,
    locked: false,
  }),
  zhou: Object.freeze({
    sub: 'doc-zhou',
    name: '周敏',
    staff_no: 'D1003',
    roles: Object.freeze(['doctor']),
    department: 'endocrinology',
    hospital: DEFAULT_HOSPITAL,
    locked: false,
  }),
  itadmin: Object.freeze({
    sub: 'it-zhao',
    name: '赵工',
    staff_no: 'IT001',
    roles: Object.freeze(['it_admin']),
    department: 'it',
    hospital: DEFAULT_HOSPITAL,
    locked: false,
  }),
  locked: Object.freeze({
    sub: 'doc-locked',
    name: 'Locked User',
    staff_no: 'D9999',
    roles: Object.freeze(['doctor']),
    department: 'cardiology',
    hospital: DEFAULT_HOSPITAL,
    locked: true,
  }),
});

const sha256 = (value) => createHash('sha256').update(String(value), 'utf8').digest();
const DEMO_PASSWORD_HASH = sha256(DEMO_PASSWORD);

/** Looks an account up by its username (exact, case-sensitive). */
export function findByUsername(username) {
  if (typeof username !== 'string' || !Object.hasOwn(ACCOUNTS, username)) return undefined;
  return { username, ...ACCOUNTS[username] };
}

/** Looks an account up by its subject identifier. */
export function findBySub(sub) {
  for (const [username, profile] of Object.entries(ACCOUNTS)) {
    if (profile.sub === sub) return { username, ...profile };
  }
  return undefined;
}

/**
 * Checks a username/password pair.
 * Returns { ok: true, account } or { ok: false, reason: 'invalid credentials' | 'account locked' }.
 * The locked account is reported as locked whatever password is given.
 */
export function authenticate(username, password) {
  const account = findByUsername(username);
  // Always compare, so that unknown users and wrong passwords take the same time.
  const passwordOk = timingSafeEqual(sha256(password ?? ''), DEMO_PASSWORD_HASH);
  if (!account) return { ok: false, reason: 'invalid credentials' };
  if (account.locked) return { ok: false, reason: 'account locked' };
  if (!passwordOk) return { ok: false, reason: 'invalid credentials' };
  return { ok: true, account };
}

/** The identity claims published for an account (ID token, access token, userinfo). */
export function profileClaims(account) {
  return {
    sub: account.sub,
    name: account.name,
    preferred_username: account.username,
    staff_no: account.staff_no,
    roles: [...account.roles],
    department: account.department,
    hospital: account.hospital,
  };
}
