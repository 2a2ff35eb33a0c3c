/** True when a ticket change was made by the service's own account (our comments must not trigger requests). */
export function sameAccount(author: string, serviceAccount: string | undefined, ...aliases: Array<string | undefined>): boolean {
  if (!serviceAccount) return false;
  const want = serviceAccount.toLowerCase();
  return [author, ...aliases].some((a) => a !== undefined && a.toLowerCase() === want);
}
