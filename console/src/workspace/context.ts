/** The open workspace and what the signed-in member may do in it (from its membership). */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Member, Workspace } from '../api/types';

export interface WorkspaceAccess {
  workspace: Workspace;
  member: Member;
  /** labs.run: book, move, delete visits and enter results */
  runLabs: boolean;
  /** clients.write: create clients and referrals */
  writeClients: boolean;
  /** labs.price_override: set a visit's subtotal instead of its tests' prices */
  overridePrice: boolean;
  owner: boolean;
  /** reads the workspace and the membership again (after the member changed their own) */
  reload: () => void;
}

export const WorkspaceContext = createContext<WorkspaceAccess | null>(null);

export function useWorkspace(): WorkspaceAccess {
  const value = useContext(WorkspaceContext);
  if (value === null) throw new Error('useWorkspace outside a workspace page');
  return value;
}

export function accessOf(workspace: Workspace, member: Member): Omit<WorkspaceAccess, 'reload'> {
  const owner = member.role === 'owner';
  const has = (p: Member['permissions'][number]) => owner || member.permissions.includes(p);
  return {
    workspace,
    member,
    owner,
    runLabs: has('labs.run'),
    writeClients: has('clients.write'),
    overridePrice: has('labs.price_override'),
  };
}

/** Where a page of this workspace is. */
export const wsRoute = (workspaceId: string, page: string): string => `/w/${workspaceId}${page}`;
