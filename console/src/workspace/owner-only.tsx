/** What a non-owner sees on an owner's page: the API would refuse, so nothing is offered. */
import { NotOffered, PageTitle } from '../ui';

export function OwnersOnly({ title, what }: { title: string; what: string }) {
  return (
    <>
      <PageTitle>{title}</PageTitle>
      <NotOffered>Only a workspace owner may {what}.</NotOffered>
    </>
  );
}
