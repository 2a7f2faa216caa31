import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, onUnauthenticated } from './api.js';

export type Role = 'owner' | 'admin' | 'agent' | 'analyst';

export interface Me {
  readonly user: { id: string; name: string; email: string; createdAt: string };
  readonly memberships: ReadonlyArray<{ workspaceId: string; workspaceName: string; role: Role }>;
}

interface SessionState {
  /** undefined while the first GET /api/me is in flight; null when signed out. */
  readonly me: Me | null | undefined;
  refresh(): Promise<Me | null>;
  signOut(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(undefined);
  const refresh = useCallback(async () => {
    try {
      const next = await api<Me>('get', '/api/me', { quiet401: true });
      setMe(next);
      return next;
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) {
        setMe(null);
        return null;
      }
      throw error;
    }
  }, []);
  const signOut = useCallback(async () => {
    await api('post', '/api/auth/logout').catch(() => undefined);
    setMe(null);
  }, []);
  useEffect(() => {
    refresh().catch(() => setMe(null));
    return onUnauthenticated(() => setMe(null));
  }, [refresh]);
  return <SessionContext.Provider value={{ me, refresh, signOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}
