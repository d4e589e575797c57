import type { AuthenticatedUser, Role } from '../contracts/events';
import { can, canAccessChannel } from './permissions';

const user = (roles: Role[], channels: string[]): AuthenticatedUser => ({ userId: 'u', roles, channels, expiresAt: null, issuedAt: null });

describe('permissions', () => {
  it('should match exact, prefix and wildcard grants', () => {
    const u = user(['member'], ['lobby', 'team-*']);
    expect(canAccessChannel(u, 'lobby')).toBe(true);
    expect(canAccessChannel(u, 'lobby2')).toBe(false);
    expect(canAccessChannel(u, 'team-red')).toBe(true);
    expect(canAccessChannel(u, 'tea')).toBe(false);
    expect(canAccessChannel(user(['member'], ['*']), 'anything')).toBe(true);
    expect(canAccessChannel(user(['member'], []), 'lobby')).toBe(false);
  });

  it('should give admins every channel and moderators the right to change any message', () => {
    expect(canAccessChannel(user(['admin'], []), 'secret')).toBe(true);
    expect(can(user(['moderator'], []), 'message:delete:any')).toBe(true);
    expect(can(user(['member'], []), 'message:delete:any')).toBe(false);
    expect(can(user(['member'], []), 'message:edit:own')).toBe(true);
  });
});
