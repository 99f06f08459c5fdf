/**
 * API keys (docs/api-keys.md): the keys this sign-in may see, a new key (shown once), revoke.
 * Offered to the platform admin (any brand, any scope) and to a lab-orders:admin sign-in (its own
 * brands and scopes only, as the API allows); others see why not.
 */
import { useState } from 'preact/hooks';
import { api, call } from '../api/client';
import { fieldErrors } from '../field-errors';
import type { Answer, Me, RequestBody } from '../api/types';
import { can, useSignedIn } from '../signed-in';
import {
  Confirm,
  dateTime,
  Empty,
  Field,
  NotOffered,
  PageTitle,
  PagerIfMore,
  Problem,
  Show,
  ShownOnce,
  TableWrap,
  useApi,
  useCursorPages,
  useSubmit,
  valueOf,
} from '../ui';

type ApiKey = Answer<'getApiKey'>['api_key'];
type NewKey = Answer<'createApiKey', 201>['api_key'];
type Scope = RequestBody<'createApiKey'>['scopes'][number];
const SCOPES: Scope[] = ['lab-orders:read', 'lab-orders:write', 'lab-orders:admin'];

/** The scopes a new key may carry: all for the platform admin, else the signed-in ones. */
const grantable = (me: Me): Scope[] =>
  me.persona === 'admin' ? SCOPES : SCOPES.filter((s) => me.scopes.includes(s));

const stateOf = (k: ApiKey): string => {
  if (k.revoked_at) return `revoked ${dateTime(k.revoked_at)}`;
  if (k.expires_at && new Date(k.expires_at) <= new Date()) return 'expired';
  return 'active';
};

export function ApiKeysPage() {
  const { me } = useSignedIn();
  if (!can.manageKeys(me)) {
    return (
      <>
        <PageTitle>API keys</PageTitle>
        <NotOffered>
          Only the platform admin or a sign-in with the lab-orders:admin scope may manage API keys.
        </NotOffered>
      </>
    );
  }
  return <ApiKeys me={me} />;
}

function ApiKeys({ me }: { me: Me }) {
  const pages = useCursorPages();
  const cursor = pages.cursor;
  const keys = useApi(
    () => call(api.GET('/v1/api-keys', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } })),
    [cursor],
  );
  const [created, setCreated] = useState<NewKey | null>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const revoke = useSubmit();
  const confirmRevoke = (key: ApiKey) =>
    revoke.run(async () => {
      await call(api.DELETE('/v1/api-keys/{id}', { params: { path: { id: key.id } } }));
      setRevoking(null);
      keys.reload();
    });
  return (
    <>
      <PageTitle>API keys</PageTitle>
      <p class="muted">
        Long-lived keys for a brand&apos;s backend, sent as <code>Authorization: Bearer lk_…</code> in place
        of a token.
      </p>
      {created ? (
        <ShownOnce title={`The key ${created.name}`} value={created.key} testId="api-key">
          Shown only this once (the service keeps only its hash): store it where the backend reads it.
        </ShownOnce>
      ) : null}
      <Show loaded={keys} what="API keys">
        {({ data, next_cursor }) => (
          <>
            {data.length === 0 ? (
              <Empty>No API keys yet.</Empty>
            ) : (
              <TableWrap label="API keys">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Prefix</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Brands</th>
                    <th scope="col">Created</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last used</th>
                    <th scope="col">State</th>
                    <th scope="col">Revoke</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((k) => (
                    <tr key={k.id}>
                      <td>{k.name}</td>
                      <td>
                        <code>{k.prefix}</code>
                      </td>
                      <td>{k.scopes.join(', ')}</td>
                      <td>{k.brand_ids.join(', ')}</td>
                      <td>{dateTime(k.created_at)}</td>
                      <td>{k.expires_at ? dateTime(k.expires_at) : 'never'}</td>
                      <td>{dateTime(k.last_used_at)}</td>
                      <td>{stateOf(k)}</td>
                      <td>
                        {k.revoked_at ? (
                          '—'
                        ) : (
                          <button
                            type="button"
                            class="secondary"
                            aria-label={`Revoke ${k.name} (${k.prefix})`}
                            onClick={() => setRevoking(k)}
                          >
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
            <PagerIfMore pages={pages} nextCursor={next_cursor} />
          </>
        )}
      </Show>
      {revoking ? (
        <Confirm
          label={`Revoke the API key ${revoking.name}?`}
          yes="Yes, revoke it"
          no="Keep it"
          busy={revoke.busy}
          onYes={() => confirmRevoke(revoking)}
          onNo={() => setRevoking(null)}
        >
          Every request with {revoking.name} (<code>{revoking.prefix}…</code>) is refused at once, and so is
          every key made with it. A revoked key cannot be used again.
        </Confirm>
      ) : null}
      <NewKeyForm
        me={me}
        onCreated={(key) => {
          setCreated(key);
          pages.restart();
          keys.reload();
        }}
      />
    </>
  );
}

function NewKeyForm({ me, onCreated }: { me: Me; onCreated: (key: NewKey) => void }) {
  const scopes = grantable(me);
  const brands = me.persona === 'admin' ? null : me.brand_ids;
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<Scope[]>(scopes.filter((s) => s !== 'lab-orders:admin'));
  const [brandIds, setBrandIds] = useState<string[]>(brands ?? []);
  const [typedBrands, setTypedBrands] = useState('');
  const [expires, setExpires] = useState('');
  const submit = useSubmit();
  const toggle = <T,>(list: T[], item: T): T[] =>
    list.includes(item) ? list.filter((x) => x !== item) : [...list, item];
  const save = (event: Event) => {
    event.preventDefault();
    void submit.run(async () => {
      const answer = await call(
        api.POST('/v1/api-keys', {
          body: {
            name: name.trim(),
            scopes: chosen,
            brand_ids: brands ? brandIds : typedBrands.split(/[\s,]+/).filter(Boolean),
            expires_at: expires ? new Date(`${expires}T23:59:59.999`).toISOString() : null,
          },
        }),
      );
      setName('');
      onCreated(answer.api_key);
    });
  };
  return (
    <section aria-labelledby="new-key-title">
      <h2 id="new-key-title">New API key</h2>
      <form class="grid" onSubmit={save}>
        <Field
          id="a-name"
          label="Name"
          hint="What the key is for, e.g. orders backend."
          error={fieldErrors(submit.error).get('/name')}
        >
          <input
            id="a-name"
            required
            maxLength={100}
            autocomplete="off"
            aria-describedby="a-name-hint"
            value={name}
            onInput={(e) => setName(valueOf(e))}
          />
        </Field>
        {brands ? null : (
          <Field id="a-brands" label="Brands" hint="One or more brand ids, separated by spaces or commas.">
            <input
              id="a-brands"
              required
              aria-describedby="a-brands-hint"
              value={typedBrands}
              onInput={(e) => setTypedBrands(valueOf(e))}
            />
          </Field>
        )}
        <Field
          id="a-expires"
          label="Last day (optional)"
          error={fieldErrors(submit.error).get('/expires_at')}
        >
          <input id="a-expires" type="date" value={expires} onInput={(e) => setExpires(valueOf(e))} />
        </Field>
        <fieldset>
          <legend>Scopes</legend>
          {scopes.map((s) => (
            <label key={s} class="inline">
              <input
                type="checkbox"
                checked={chosen.includes(s)}
                onChange={() => setChosen(toggle(chosen, s))}
              />
              {s}
            </label>
          ))}
        </fieldset>
        {brands ? (
          <fieldset>
            <legend>Brands</legend>
            {brands.map((b) => (
              <label key={b} class="inline">
                <input
                  type="checkbox"
                  checked={brandIds.includes(b)}
                  onChange={() => setBrandIds(toggle(brandIds, b))}
                />
                {b}
              </label>
            ))}
          </fieldset>
        ) : null}
        <div class="form-end">
          <button
            type="submit"
            disabled={submit.busy || chosen.length === 0 || (brands !== null && brandIds.length === 0)}
          >
            Create key
          </button>
        </div>
      </form>
      <Problem error={submit.error} action="create an API key" />
    </section>
  );
}
