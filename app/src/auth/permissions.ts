import type { AuthenticatedUser, Role } from '../contracts/events';

export type Permission =
  | 'channel:join'
  | 'channel:join:any'
  | 'message:send'
  | 'message:edit:own'
  | 'message:edit:any'
  | 'message:delete:own'
  | 'message:delete:any';

/** The one permission table: what each role may do. Roles add up. */
export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  member: ['channel:join', 'message:send', 'message:edit:own', 'message:delete:own'],
  moderator: ['channel:join', 'message:send', 'message:edit:own', 'message:delete:own', 'message:edit:any', 'message:delete:any'],
  admin: ['channel:join', 'channel:join:any', 'message:send', 'message:edit:own', 'message:delete:own', 'message:edit:any', 'message:delete:any'],
};

export function can(user: AuthenticatedUser, permission: Permission): boolean {
  return user.roles.some((r) => ROLE_PERMISSIONS[r].includes(permission));
}

/** Channel grants from the token: exact ids, `prefix*` patterns, or `*`; admins may join any channel. */
export function canAccessChannel(user: AuthenticatedUser, channelId: string): boolean {
  if (can(user, 'channel:join:any')) return true;
  if (!can(user, 'channel:join')) return false;
  return user.channels.some((g) => g === '*' || g === channelId || (g.endsWith('*') && channelId.startsWith(g.slice(0, -1))));
}
