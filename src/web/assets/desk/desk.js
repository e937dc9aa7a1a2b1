// The checker's desk: a dashboard over claimtrack's public GraphQL API (queries and
// mutations over HTTP, live updates over graphql-transport-ws), as any other client
// would use it. The key stays in this tab's session storage; the server decides what
// each role may do, the desk only hides what the role cannot.

const KEY = "claimtrack.key";
const RANKS = { VIEWER: 0, CHECKER: 1, EDITOR: 2, ADMIN: 3 };
const VERDICTS = ["TRUE", "MOSTLY_TRUE", "MIXED", "MOSTLY_FALSE", "FALSE", "MISLEADING", "OUT_OF_CONTEXT", "UNPROVEN"];
const STATUSES = ["UNREVIEWED", "IN_REVIEW", "REVIEWED", "ARCHIVED"];
const KINDS = ["QUOTE", "QUANTITY", "EVENT", "OTHER"];
// ClaimReview's scale, as the server rates verdicts (shown before recording).
const RATINGS = { FALSE: 1, MOSTLY_FALSE: 2, MIXED: 3, MOSTLY_TRUE: 4, TRUE: 5 };

const desk = { key: null, me: null, live: null, stopLive: [] };

// ---------------------------------------------------------------- DOM helpers

function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = value;
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// Replaces `element`'s children, leaving out absent ones (as `h` does).
function fill(element, ...children) {
  element.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

function words(value) {
  return value ? value.toLowerCase().replace(/_/g, " ") : "";
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "";
}

function badge(verdict) {
  return verdict ? h("span", { class: `badge verdict-${verdict}` }, words(verdict)) : h("span", { class: "badge" }, "no verdict");
}

function say(message, isError) {
  const status = document.getElementById("status");
  status.textContent = message || "";
  status.className = isError ? "status error" : "status";
}

function field(label, control) {
  const id = control.id || `f-${Math.random().toString(36).slice(2)}`;
  control.id = id;
  return h("div", {}, h("label", { for: id }, label), control);
}

function select(name, values, empty) {
  return h("select", { name }, h("option", { value: "" }, empty), values.map((v) => h("option", { value: v }, words(v))));
}

function can(role) {
  return desk.me && RANKS[desk.me.role] >= RANKS[role];
}

// ---------------------------------------------------------------- the API

class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

async function gql(query, variables) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${desk.key}` },
    body: JSON.stringify({ query, variables: variables || {} }),
  });
  let body;
  try {
    body = await response.json();
  } catch (error) {
    throw new ApiError(`The server answered ${response.status}`, "UNAVAILABLE");
  }
  if (body.errors && body.errors.length) {
    const first = body.errors[0];
    const code = (first.extensions && first.extensions.code) || "INTERNAL";
    if (code === "UNAUTHENTICATED") signOut("Your key is no longer accepted: sign in again.");
    throw new ApiError(first.message, code);
  }
  return body.data;
}

// A graphql-transport-ws client: one socket per signed-in key, re-subscribing after a
// dropped connection.
class Live {
  constructor(key) {
    this.key = key;
    this.next = 1;
    this.operations = new Map();
    this.closed = false;
    this.open();
  }

  open() {
    const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
    this.socket = new WebSocket(url, "graphql-transport-ws");
    this.ready = false;
    this.socket.addEventListener("open", () => {
      this.socket.send(JSON.stringify({ type: "connection_init", payload: { Authorization: `Bearer ${this.key}` } }));
    });
    this.socket.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (frame.type === "connection_ack") {
        this.ready = true;
        for (const [id, operation] of this.operations) this.start(id, operation);
      } else if (frame.type === "next") {
        const operation = this.operations.get(frame.id);
        if (operation && frame.payload && frame.payload.data) operation.onData(frame.payload.data);
      } else if (frame.type === "ping") {
        this.socket.send(JSON.stringify({ type: "pong" }));
      }
    });
    this.socket.addEventListener("close", (event) => {
      this.ready = false;
      if (this.closed || this.suspended || event.code === 4401 || event.code === 4403) return;
      setTimeout(() => !this.closed && this.open(), 2000);
    });
  }

  start(id, operation) {
    this.socket.send(JSON.stringify({ id, type: "subscribe", payload: { query: operation.query, variables: operation.variables } }));
  }

  subscribe(query, variables, onData) {
    const id = String(this.next++);
    const operation = { query, variables, onData };
    this.operations.set(id, operation);
    if (this.ready) this.start(id, operation);
    return () => {
      this.operations.delete(id);
      if (this.ready) this.socket.send(JSON.stringify({ id, type: "complete" }));
    };
  }

  close() {
    this.closed = true;
    this.socket.close(1000);
  }

  // Leaving the page (even into the back/forward cache) ends the server's work for it;
  // coming back re-subscribes.
  suspend() {
    this.suspended = true;
    this.socket.close(1000);
  }

  resume() {
    if (!this.suspended || this.closed) return;
    this.suspended = false;
    this.open();
  }
}

window.addEventListener("pagehide", () => desk.live && desk.live.suspend());
window.addEventListener("pageshow", (event) => event.persisted && desk.live && desk.live.resume());

// Calls `reload` once after a burst of events.
function debounced(reload) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(reload, 150);
  };
}

// ---------------------------------------------------------------- sign in

async function signIn(key) {
  desk.key = key;
  const data = await gql("query Me { me { id name role } }");
  if (!data.me) throw new ApiError("These credentials do not name a principal.", "FORBIDDEN");
  desk.me = data.me;
  sessionStorage.setItem(KEY, key);
  desk.live = new Live(key);
  document.getElementById("who").textContent = `${data.me.name} · ${words(data.me.role)}`;
  // Adding articles (and extracting their claims) is an editor's work.
  document.querySelector("[data-nav=article]").hidden = !can("EDITOR");
  document.getElementById("sign-out").hidden = false;
}

function signOut(message) {
  sessionStorage.removeItem(KEY);
  if (desk.live) desk.live.close();
  Object.assign(desk, { key: null, me: null, live: null });
  document.getElementById("who").textContent = "";
  document.querySelector("[data-nav=article]").hidden = true;
  document.getElementById("sign-out").hidden = true;
  location.hash = "#/sign-in";
  render();
  if (message) say(message, true);
}

function signInView(main) {
  const key = h("input", { type: "password", name: "key", autocomplete: "off", required: true });
  const form = h(
    "form",
    { class: "panel form signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "Sign in to the desk"),
    field("API key or identity-provider token", key),
    h("p", { class: "hint" }, "Kept in this browser tab only, until you sign out or close it."),
    h("button", { type: "submit" }, "Sign in"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say("Signing in…");
    try {
      await signIn(key.value.trim());
      say("");
      location.hash = "#/queue";
    } catch (error) {
      desk.key = null;
      say(error.code === "UNAUTHENTICATED" ? "That key or token is not accepted." : error.message, true);
    }
  });
  main.append(form);
  key.focus();
}

// ---------------------------------------------------------------- the queue

const ROW = `id text kind status currentVerdict createdAt
  speaker { name }
  assignment { assignee { name } dueAt priority }
  tags { name }`;

const LISTS = {
  mine: { label: "My claims", root: "myQueue" },
  unassigned: { label: "Unassigned", root: "claims", filter: { assigned: false } },
  overdue: { label: "Overdue", root: "claims", filter: { overdue: true } },
  newest: { label: "Newest", root: "claims" },
};

const queue = { list: "newest", filter: {}, search: "", cursors: [null], page: 0, selected: 0 };

function queueFilter() {
  return { ...(LISTS[queue.list].filter || {}), ...queue.filter };
}

async function loadQueue() {
  const after = queue.cursors[queue.page];
  if (queue.search) {
    const data = await gql(
      `query DeskSearch($q: String!, $filter: ClaimFilterInput, $after: String) {
        search(query: $q, kinds: [CLAIM], claims: $filter, first: 20, after: $after) {
          pageInfo { hasNextPage endCursor }
          edges { node { ... on Claim { ${ROW} } } snippets { field fragments { text highlighted } } }
        }
      }`,
      { q: queue.search, filter: queueFilter(), after },
    );
    const page = data.search;
    return { pageInfo: page.pageInfo, rows: page.edges.map((e) => ({ claim: e.node, snippets: e.snippets })) };
  }
  const root = LISTS[queue.list].root;
  const data = await gql(
    `query DeskQueue($filter: ClaimFilterInput, $after: String) {
      list: ${root}(filter: $filter, first: 20, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } nodes { ${ROW} }
      }
    }`,
    { filter: queueFilter(), after },
  );
  return { pageInfo: data.list.pageInfo, total: data.list.totalCount, rows: data.list.nodes.map((claim) => ({ claim, snippets: [] })) };
}

function snippetLine(snippet) {
  return h("p", { class: "snippet" }, `${words(snippet.field)}: `, snippet.fragments.map((f) => (f.highlighted ? h("mark", {}, f.text) : f.text)));
}

function claimRow(row, index) {
  const c = row.claim;
  const assignment = c.assignment ? `assigned to ${c.assignment.assignee.name}` : "unassigned";
  return h(
    "li",
    { class: index === queue.selected ? "selected" : null, "data-claim": c.id },
    h(
      "a",
      { href: `#/claim/${c.id}` },
      h("div", {}, c.text),
      row.snippets.filter((s) => s.field !== "TITLE").slice(0, 1).map(snippetLine),
      h(
        "div",
        { class: "meta" },
        badge(c.currentVerdict),
        h("span", {}, words(c.status)),
        h("span", {}, words(c.kind)),
        c.speaker ? h("span", {}, c.speaker.name) : null,
        h("span", {}, assignment),
        c.tags.length ? h("span", {}, c.tags.map((t) => `#${t.name}`).join(" ")) : null,
        h("time", { datetime: c.createdAt }, when(c.createdAt)),
      ),
    ),
  );
}

// A text field that names a source: suggestions as you type, its id once the name
// matches one (`onKnown` is called when a suggestion arrives that the text names).
function sourcePicker(name, kinds, onKnown) {
  const list = h("datalist", { id: `${name}-sources` });
  const input = h("input", { type: "text", name, id: `queue-${name}`, list: `${name}-sources`, autocomplete: "off" });
  const known = new Map();
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const text = input.value.trim();
      if (text.length < 2) return;
      try {
        const found = (await gql(
          "query DeskSources($filter: SourceFilterInput) { sources(first: 10, filter: $filter) { nodes { id name } } }",
          { filter: { nameContains: text, kind: kinds } },
        )).sources.nodes;
        found.forEach((s) => known.set(s.name.toLowerCase(), s.id));
        list.replaceChildren(...found.map((s) => h("option", { value: s.name })));
        if (known.has(input.value.trim().toLowerCase())) onKnown();
      } catch (error) {
        say(error.message, true);
      }
    }, 150);
  });
  return {
    element: h("div", {}, input, list),
    input,
    // The chosen source's id; `undefined` while the text names none.
    id: () => (input.value.trim() ? known.get(input.value.trim().toLowerCase()) : null),
  };
}

function queueView(main) {
  const list = h("ul", { class: "claims", id: "queue-list", "aria-label": "Claims" });
  const pager = h("div", { class: "pager" });
  const search = h("input", { type: "search", name: "search", id: "queue-search", placeholder: "Words, \"a phrase\", -exclude", value: queue.search });
  const status = select("status", STATUSES, "any status");
  const verdict = select("verdict", VERDICTS, "any verdict");
  const kind = select("kind", KINDS, "any kind");
  const tag = h("input", { type: "text", name: "tag", placeholder: "tag" });
  // Filters by speaker and outlet apply once their names are known.
  const later = () => apply();
  const speaker = sourcePicker("speaker", null, later);
  const outlet = sourcePicker("outlet", ["OUTLET"], later);
  const tabs = h(
    "div",
    { class: "tabs", role: "group", "aria-label": "Lists" },
    Object.entries(LISTS).map(([name, list]) =>
      h("button", {
        type: "button", "aria-pressed": String(queue.list === name), "data-list": name,
        onclick: () => { queue.list = name; restart(); tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.list === name))); },
      }, list.label),
    ),
  );
  const filters = h(
    "form",
    { class: "filters", role: "search" },
    h("div", { class: "wide" }, field("Search claims (/)", search)),
    field("Status", status),
    field("Verdict", verdict),
    field("Kind", kind),
    field("Tag", tag),
    h("div", {}, h("label", { for: "queue-speaker" }, "Speaker"), speaker.element),
    h("div", {}, h("label", { for: "queue-outlet" }, "Outlet"), outlet.element),
  );
  let timer = null;
  function apply() {
    queue.search = search.value.trim();
    queue.filter = {};
    if (status.value) queue.filter.status = [status.value];
    if (verdict.value) queue.filter.currentVerdict = [verdict.value];
    if (kind.value) queue.filter.kind = [kind.value];
    if (tag.value.trim()) queue.filter.tags = [tag.value.trim()];
    for (const [picker, key, label] of [[speaker, "speakerId", "speaker"], [outlet, "outletId", "outlet"]]) {
      const id = picker.id();
      if (id === undefined) {
        say(`No ${label} by that name yet: pick one from the suggestions.`);
        return;
      }
      if (id) queue.filter[key] = id;
    }
    say("");
    restart();
  }
  // Typing, picking, and clearing a field (which fires only `change`) all apply.
  for (const kind of ["input", "change"]) filters.addEventListener(kind, () => { clearTimeout(timer); timer = setTimeout(apply, 250); });
  filters.addEventListener("submit", (event) => { event.preventDefault(); apply(); });

  async function draw() {
    try {
      const page = await loadQueue();
      queue.rows = page.rows;
      queue.selected = Math.min(queue.selected, Math.max(page.rows.length - 1, 0));
      list.replaceChildren(...page.rows.map(claimRow));
      // The desk's first meaningful paint: the first page of claims on screen.
      if (page.rows.length && !performance.getEntriesByName("desk:queue-shown").length) performance.mark("desk:queue-shown");
      if (!page.rows.length) list.append(h("li", { class: "hint" }, "Nothing here."));
      const previous = h("button", { type: "button", class: "secondary", disabled: queue.page === 0, onclick: () => { queue.page -= 1; draw(); } }, "Previous");
      const next = h("button", {
        type: "button", class: "secondary", disabled: !page.pageInfo.hasNextPage,
        onclick: () => { queue.cursors[queue.page + 1] = page.pageInfo.endCursor; queue.page += 1; draw(); },
      }, "Next");
      pager.replaceChildren(previous, next, h("span", { class: "hint" }, page.total === undefined ? `page ${queue.page + 1}` : `page ${queue.page + 1} · ${page.total} claims`));
      say("");
    } catch (error) {
      say(error.message, true);
    }
  }
  function restart() {
    queue.cursors = [null];
    queue.page = 0;
    queue.selected = 0;
    draw();
  }
  main.append(h("h1", {}, "Queue"), h("section", { class: "panel" }, tabs, filters, list, pager));
  draw();
  // Claims created, assigned, verified or changed anywhere: the page shows them as they are.
  const refresh = debounced(draw);
  desk.stopLive.push(desk.live.subscribe("subscription DeskQueue { claimChanged { claimId change } }", {}, refresh));
  queue.keys = (event) => {
    if (event.target.matches("input, textarea, select")) {
      if (event.key === "Escape") event.target.blur();
      return;
    }
    const rows = list.querySelectorAll("li[data-claim]");
    if (event.key === "/") { event.preventDefault(); search.focus(); }
    else if (event.key === "j" || event.key === "k") {
      queue.selected = Math.max(0, Math.min(rows.length - 1, queue.selected + (event.key === "j" ? 1 : -1)));
      rows.forEach((row, i) => row.classList.toggle("selected", i === queue.selected));
      if (rows[queue.selected]) rows[queue.selected].querySelector("a").focus();
    } else if (event.key === "Enter" && rows[queue.selected] && document.activeElement === document.body) {
      location.hash = `#/claim/${rows[queue.selected].dataset.claim}`;
    }
  };
}

// ---------------------------------------------------------------- one claim

const CLAIM = `query DeskClaim($id: UUID!) {
  claim(id: $id) {
    id version text kind status currentVerdict quote setting language createdAt updatedAt
    quantity { value lower upper unit measure subject approximate asOf key }
    speaker { id name kind }
    tags { name }
    assignment { assignee { name } dueAt priority }
    appearances(first: 20) { nodes { id excerpt spanStart spanEnd article { id title url publishedAt body outlet { name } } } }
    verifications(first: 50) { nodes {
      id verdict rating summary reviewerName createdAt
      retraction { reason retractedByName createdAt }
      citations { url stance excerpt }
    } }
    notes(first: 50) { nodes { id body author createdAt retraction { reason by } } }
    auditTrail(first: 100) { nodes { operation actorName occurredAt entityType } }
  }
}`;

// The passage of `body` around characters [start, end) (Unicode characters, as the API
// counts them), with the claim itself marked.
function passage(body, start, end) {
  const chars = Array.from(body || "");
  if (start === null || end === null || end > chars.length || start >= end) return null;
  const from = Math.max(0, start - 240);
  const to = Math.min(chars.length, end + 240);
  return h(
    "p",
    { class: "excerpt" },
    from > 0 ? "…" : "",
    chars.slice(from, start).join(""),
    h("mark", {}, chars.slice(start, end).join("")),
    chars.slice(end, to).join(""),
    to < chars.length ? "…" : "",
  );
}

function quantityLine(q) {
  if (!q) return null;
  const bounds = q.lower || q.upper ? ` (between ${q.lower || "…"} and ${q.upper || "…"})` : "";
  return `${q.approximate ? "about " : ""}${q.value || ""}${bounds} ${q.unit || ""} ${q.measure}${q.subject ? ` — ${q.subject}` : ""}`;
}

function verdictForm(claim, reload) {
  const verdict = select("verdict", VERDICTS, "choose a verdict");
  verdict.required = true;
  const rating = h("output", { name: "rating", "aria-live": "polite" }, "—");
  verdict.addEventListener("change", () => { rating.textContent = RATINGS[verdict.value] ? `${RATINGS[verdict.value]} of 5` : "off the scale"; });
  const summary = h("textarea", { name: "summary", required: true });
  const citation = h("input", { type: "url", name: "citation", placeholder: "https://…" });
  const stance = select("stance", ["SUPPORTS", "CONTRADICTS", "CONTEXT"], "context");
  const form = h(
    "form",
    { class: "panel form", "aria-labelledby": "verdict-title" },
    h("h2", { id: "verdict-title" }, "Record a verdict"),
    h("div", { class: "row" }, field("Verdict", verdict), h("div", {}, h("label", {}, "ClaimReview rating"), rating)),
    field("Summary", summary),
    h("div", { class: "row" }, field("Citation URL (optional)", citation), field("Its stance", stance)),
    h("button", { type: "submit" }, "Record verdict"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const citations = citation.value.trim() ? [{ url: citation.value.trim(), stance: stance.value || "CONTEXT" }] : [];
    try {
      await gql(
        `mutation DeskVerdict($claimId: UUID!, $input: RecordVerificationInput!) {
          recordVerification(claimId: $claimId, input: $input) { id }
        }`,
        { claimId: claim.id, input: { verdict: verdict.value, summary: summary.value, citations } },
      );
      say("Verdict recorded.");
      form.reset();
      reload();
    } catch (error) {
      say(error.message, true);
    }
  });
  return form;
}

function noteForm(claim, reload) {
  const body = h("textarea", { name: "note", required: true });
  const form = h("form", { class: "form" }, field("Add a note (internal)", body), h("button", { type: "submit", class: "secondary" }, "Add note"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await gql("mutation DeskNote($claimId: UUID!, $input: AddNoteInput!) { addNote(claimId: $claimId, input: $input) { id } }", { claimId: claim.id, input: { body: body.value } });
      form.reset();
      reload();
    } catch (error) {
      say(error.message, true);
    }
  });
  return form;
}

function assignForm(claim, reload) {
  const principal = h("select", { name: "assignee" }, h("option", { value: "" }, "me"));
  const priority = select("priority", ["LOW", "NORMAL", "HIGH", "URGENT"], "normal");
  const due = h("input", { type: "datetime-local", name: "due" });
  const form = h(
    "form",
    { class: "form", "aria-labelledby": "assign-title" },
    h("h2", { id: "assign-title" }, claim.assignment ? "Reassign" : "Assign"),
    can("EDITOR") ? field("To", principal) : null,
    h("div", { class: "row" }, field("Priority", priority), field("Due", due)),
    h("button", { type: "submit", class: "secondary" }, can("EDITOR") ? "Assign" : "Take it"),
  );
  if (can("EDITOR")) {
    gql("query DeskPrincipals { assignablePrincipals { id name role } }")
      .then((data) => principal.append(...data.assignablePrincipals.map((p) => h("option", { value: p.id }, `${p.name} (${words(p.role)})`))))
      .catch((error) => say(error.message, true));
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = {};
    if (principal.value) input.assigneeId = principal.value;
    if (priority.value) input.priority = priority.value;
    if (due.value) input.dueAt = new Date(due.value).toISOString();
    try {
      await gql("mutation DeskAssign($claimId: UUID!, $input: AssignClaimInput) { assignClaim(claimId: $claimId, input: $input) { id } }", { claimId: claim.id, input });
      say("Assigned.");
      form.reset();
      reload();
    } catch (error) {
      say(error.message, true);
    }
  });
  return form;
}

// The claim's tags; checkers add (comma-separated) and remove them.
function tagsView(claim, reload) {
  const change = async (mutation, tags) => {
    try {
      await gql(`mutation DeskTags($id: UUID!, $tags: [String!]!) { ${mutation}(claimId: $id, tags: $tags) { id } }`, { id: claim.id, tags });
      reload();
    } catch (error) {
      say(error.message, true);
    }
  };
  const chips = claim.tags.map((t) => h(
    "span",
    { class: "badge tag", "data-tag": t.name },
    `#${t.name}`,
    can("CHECKER") ? h("button", { type: "button", class: "chip-remove", "aria-label": `Remove tag ${t.name}`, onclick: () => change("untagClaim", [t.name]) }, "×") : null,
  ));
  if (!can("CHECKER") || claim.status === "ARCHIVED") return h("div", { id: "tags" }, chips.length ? chips : "—");
  const input = h("input", { type: "text", name: "tags", placeholder: "tag, another" });
  const form = h("form", { class: "row" }, field("Add tags", input), h("button", { type: "submit", class: "secondary" }, "Add"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const tags = input.value.split(",").map((t) => t.trim()).filter(Boolean);
    form.reset();
    if (tags.length) change("tagClaim", tags);
  });
  return h("div", { id: "tags" }, chips, form);
}

function archiveButton(claim, reload) {
  return h("button", {
    type: "button", class: "secondary",
    onclick: async () => {
      try {
        await gql("mutation DeskArchive($id: UUID!, $version: Int!) { updateClaim(id: $id, expectedVersion: $version, input: { status: ARCHIVED }) { id } }", { id: claim.id, version: claim.version });
        say("Archived.");
        reload();
      } catch (error) {
        say(error.code === "CONFLICT" ? "Someone changed this claim meanwhile: reloaded." : error.message, true);
        reload();
      }
    },
  }, "Archive");
}

// "Checked before?": other claims this one may repeat, and the figures on its quantity.
async function related(claim, panel) {
  try {
    const matches = (await gql(
      "query DeskChecked($text: String!) { checkedBefore(text: $text, first: 6) { score claim { id text currentVerdict } } }",
      { text: claim.text },
    )).checkedBefore.filter((m) => m.claim.id !== claim.id).slice(0, 5);
    const merge = (into) => h("button", {
      type: "button", class: "secondary", "data-merge-into": into.id,
      onclick: async () => {
        if (!confirm(`Merge this claim into “${into.text}”? Its appearances, verdicts, notes and tags move there.`)) return;
        try {
          await gql(
            "mutation DeskMerge($from: UUID!, $into: UUID!, $version: Int) { mergeClaims(fromId: $from, intoId: $into, expectedFromVersion: $version) { id } }",
            { from: claim.id, into: into.id, version: claim.version },
          );
          say("Merged.");
          location.hash = `#/claim/${into.id}`;
        } catch (error) {
          say(error.message, true);
        }
      },
    }, "Same claim: merge into it");
    const list = h("ul", { class: "plain", id: "checked-before" }, matches.length
      ? matches.map((m) => h("li", {}, badge(m.claim.currentVerdict), " ", h("a", { href: `#/claim/${m.claim.id}` }, m.claim.text), h("span", { class: "hint" }, ` ${Math.round(m.score * 100)} %`), can("EDITOR") && claim.status !== "ARCHIVED" ? h("div", {}, merge(m.claim)) : null))
      : h("li", { class: "hint" }, "No similar claim."));
    panel.append(h("h2", {}, "Checked before?"), list);
    if (claim.quantity && claim.quantity.key) {
      const series = (await gql(
        "query DeskFigures($key: String!) { quantity(key: $key) { figures { claimId text value lower upper unit status asOf source { name } } } }",
        { key: claim.quantity.key },
      )).quantity;
      if (series) {
        panel.append(h("h2", {}, "Figures on this quantity"), h("ul", { class: "plain", id: "figures" }, series.figures.map((f) =>
          h("li", { class: f.claimId === claim.id ? "selected" : null },
            h("span", { class: `badge figure-${f.status}` }, words(f.status)), " ",
            h("a", { href: `#/claim/${f.claimId}` }, f.text),
            h("div", { class: "hint" }, `${f.source ? f.source.name : "unknown source"}, as of ${when(f.asOf)}`)))));
      }
    }
  } catch (error) {
    say(error.message, true);
  }
}

function historyItem(v, reload) {
  const retracted = v.retraction;
  return h(
    "li",
    { "data-verification": v.id },
    h("div", { class: retracted ? "retracted" : null }, badge(v.verdict), " ", v.rating ? `rating ${v.rating}` : "", " — ", v.summary),
    h("div", { class: "hint" }, `${v.reviewerName}, ${when(v.createdAt)}`),
    v.citations.length ? h("ul", { class: "plain" }, v.citations.map((c) => h("li", {}, `${words(c.stance)}: `, h("a", { href: c.url, rel: "noopener noreferrer", target: "_blank" }, c.url)))) : null,
    retracted
      ? h("div", { class: "hint" }, `Retracted by ${retracted.retractedByName}, ${when(retracted.createdAt)}: ${retracted.reason}`)
      : can("CHECKER")
        ? h("button", {
          type: "button", class: "secondary",
          onclick: async () => {
            const reason = prompt("Why retract this verdict?");
            if (!reason) return;
            try {
              await gql("mutation DeskRetract($id: UUID!, $reason: String!) { retractVerification(id: $id, reason: $reason) { id } }", { id: v.id, reason });
              reload();
            } catch (error) {
              say(error.message, true);
            }
          },
        }, "Retract")
        : null,
  );
}

// What the user is typing in `root`'s named fields (and where the focus is), so that a
// re-render (a change made elsewhere arriving live) does not lose it.
function typed(root) {
  const values = new Map();
  root.querySelectorAll("input[name], select[name], textarea[name]").forEach((e) => values.set(e.name, e.value));
  const focused = root.contains(document.activeElement) && document.activeElement.name;
  return () => {
    root.querySelectorAll("input[name], select[name], textarea[name]").forEach((e) => {
      if (values.has(e.name) && values.get(e.name) !== "" && e.value !== values.get(e.name)) {
        e.value = values.get(e.name);
        e.dispatchEvent(new Event("change"));
      }
    });
    const refocus = focused && root.querySelector(`[name="${focused}"]`);
    if (refocus) refocus.focus();
  };
}

async function claimView(main, id) {
  // A form that wrote resets itself first: only other fields' text is kept.
  const reload = async () => {
    let claim;
    try {
      claim = (await gql(CLAIM, { id })).claim;
    } catch (error) {
      say(error.message, true);
      return;
    }
    const restore = typed(main);
    if (!claim) {
      fill(main, h("h1", {}, "No such claim"), h("a", { href: "#/queue" }, "Back to the queue"));
      return;
    }
    const facts = h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Verdict"), h("dd", { id: "current-verdict" }, badge(claim.currentVerdict)),
      h("dt", {}, "Status"), h("dd", {}, words(claim.status)),
      h("dt", {}, "Kind"), h("dd", {}, words(claim.kind)),
      h("dt", {}, "Speaker"), h("dd", {}, claim.speaker ? h("a", { href: `#/source/${claim.speaker.id}` }, claim.speaker.name) : "—"),
      claim.quantity ? [h("dt", {}, "Figure"), h("dd", {}, quantityLine(claim.quantity))] : null,
      claim.setting ? [h("dt", {}, "Setting"), h("dd", {}, claim.setting)] : null,
      h("dt", {}, "Assigned"), h("dd", {}, claim.assignment ? `${claim.assignment.assignee.name}${claim.assignment.dueAt ? `, due ${when(claim.assignment.dueAt)}` : ""}` : "nobody"),
      h("dt", {}, "Tags"), h("dd", {}, tagsView(claim, reload)),
      h("dt", {}, "Recorded"), h("dd", {}, when(claim.createdAt)),
    );
    const appearances = claim.appearances.nodes.map((a) =>
      h(
        "li",
        {},
        h("a", { href: `#/article/${a.article.id}` }, a.article.title),
        a.article.outlet ? ` — ${a.article.outlet.name}` : "",
        a.article.publishedAt ? `, ${when(a.article.publishedAt)}` : "",
        passage(a.article.body, a.spanStart, a.spanEnd) || h("p", { class: "excerpt" }, a.excerpt),
      ),
    );
    const history = claim.verifications.nodes.map((v) => historyItem(v, reload));
    const notes = claim.notes.nodes.map((n) =>
      h("li", {}, h("div", { class: n.retraction ? "retracted" : null }, n.body), h("div", { class: "hint" }, `${n.author}, ${when(n.createdAt)}`)),
    );
    const audit = claim.auditTrail.nodes.map((e) => h("li", {}, `${when(e.occurredAt)} — ${e.actorName}: ${e.entityType} ${e.operation}`));
    const relatedPanel = h("section", { class: "panel", "aria-label": "Related claims" });
    related(claim, relatedPanel);
    fill(main, 
      h("p", {}, h("a", { href: "#/queue" }, "← Queue")),
      h("h1", { id: "claim-text" }, claim.text),
      claim.quote && claim.quote !== claim.text ? h("blockquote", {}, claim.quote) : null,
      h(
        "div",
        { class: "grid" },
        h(
          "div",
          {},
          h("section", { class: "panel", "aria-labelledby": "appearances-title" }, h("h2", { id: "appearances-title" }, "Where it appeared"), h("ul", { class: "plain" }, appearances.length ? appearances : h("li", { class: "hint" }, "No appearance recorded."))),
          can("CHECKER") && claim.status !== "ARCHIVED" ? verdictForm(claim, reload) : null,
          h("section", { class: "panel", "aria-labelledby": "history-title" }, h("h2", { id: "history-title" }, "Verification history"), h("ol", { class: "history", id: "history" }, history.length ? history : h("li", { class: "hint" }, "Not checked yet."))),
          h("section", { class: "panel", "aria-labelledby": "audit-title" }, h("h2", { id: "audit-title" }, "Audit trail"), h("ol", { class: "history", id: "audit" }, audit)),
        ),
        h(
          "div",
          {},
          h("section", { class: "panel", "aria-labelledby": "facts-title" }, h("h2", { id: "facts-title" }, "The claim"), facts),
          can("CHECKER") && claim.status !== "ARCHIVED" ? h("section", { class: "panel" }, assignForm(claim, reload), can("EDITOR") ? h("p", {}, archiveButton(claim, reload)) : null) : null,
          h("section", { class: "panel", "aria-labelledby": "notes-title" }, h("h2", { id: "notes-title" }, "Notes"), h("ul", { class: "plain" }, notes.length ? notes : h("li", { class: "hint" }, "No notes.")), can("CHECKER") ? noteForm(claim, reload) : null),
          relatedPanel,
        ),
      ),
    );
    restore();
  };
  await reload();
  const refresh = debounced(reload);
  desk.stopLive.push(desk.live.subscribe("subscription DeskClaim { claimChanged { claimId } }", {}, (data) => {
    if (data.claimChanged && data.claimChanged.claimId === id) refresh();
  }));
}

// ---------------------------------------------------------------- articles

function newArticleView(main) {
  const url = h("input", { type: "url", name: "url", required: true, placeholder: "https://…" });
  const title = h("input", { type: "text", name: "title", required: true });
  const published = h("input", { type: "datetime-local", name: "published" });
  const language = h("input", { type: "text", name: "language", placeholder: "en" });
  const body = h("textarea", { name: "body", required: true, rows: 14 });
  const form = h(
    "form",
    { class: "panel form", "aria-labelledby": "new-article-title" },
    h("h1", { id: "new-article-title" }, "Add an article"),
    field("Its address", url),
    field("Headline", title),
    h("div", { class: "row" }, field("Published", published), field("Language", language)),
    field("Its text (paste it)", body),
    h("button", { type: "submit" }, "Add and extract claims"),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = { url: url.value.trim(), title: title.value.trim(), body: body.value };
    if (published.value) input.publishedAt = new Date(published.value).toISOString();
    if (language.value.trim()) input.language = language.value.trim();
    try {
      const created = (await gql("mutation DeskArticle($input: CreateArticleInput!) { createArticle(input: $input) { id } }", { input })).createArticle;
      await gql("mutation DeskExtract($id: UUID!) { extractClaims(articleId: $id) { id } }", { id: created.id });
      location.hash = `#/article/${created.id}`;
    } catch (error) {
      say(error.message, true);
    }
  });
  main.append(form);
}

const ARTICLE = `query DeskArticleView($id: UUID!) {
  article(id: $id) {
    id title url body publishedAt language outlet { name }
    candidates {
      id kind text status rule confidence spanStart spanEnd claimId
      speaker { name sourceId mention }
      checkedBefore(first: 3) { score claim { id text currentVerdict } }
    }
  }
}`;

// The body with each candidate's span marked (overlapping spans: the first one wins).
function markedBody(body, candidates) {
  const chars = Array.from(body);
  const spans = candidates.filter((c) => c.status === "OPEN" || c.status === "ACCEPTED").slice().sort((a, b) => a.spanStart - b.spanStart);
  const parts = [];
  let at = 0;
  for (const c of spans) {
    if (c.spanStart < at || c.spanEnd > chars.length) continue;
    parts.push(chars.slice(at, c.spanStart).join(""));
    parts.push(h("mark", { "data-candidate": c.id, title: `${words(c.kind)} (${c.rule})` }, chars.slice(c.spanStart, c.spanEnd).join("")));
    at = c.spanEnd;
  }
  parts.push(chars.slice(at).join(""));
  return h("div", { class: "article-body", id: "article-body" }, parts);
}

function candidateItem(c, speakers, reload) {
  const matches = c.checkedBefore.map((m) => h("li", {}, badge(m.claim.currentVerdict), " ", h("a", { href: `#/claim/${m.claim.id}` }, m.claim.text), h("span", { class: "hint" }, ` ${Math.round(m.score * 100)} %`)));
  const speaker = c.speaker ? `${c.speaker.name}${c.speaker.sourceId ? "" : " (new source)"}` : "no speaker";
  const actions = [];
  if (c.status === "OPEN" && can("EDITOR")) {
    const choice = h(
      "select",
      { name: "speaker" },
      h("option", { value: "" }, `as proposed: ${speaker}`),
      speakers.filter((s) => !c.speaker || s.sourceId !== c.speaker.sourceId).map((s) => h("option", { value: s.sourceId }, s.name)),
    );
    actions.push(field("Attribute to", choice));
    actions.push(h("button", {
      type: "button", "data-accept": c.id,
      onclick: async () => {
        try {
          const accepted = (await gql(
            "mutation DeskAccept($id: UUID!, $speakerId: UUID) { acceptCandidate(id: $id, speakerId: $speakerId) { claim { id } linked } }",
            { id: c.id, speakerId: choice.value || null },
          )).acceptCandidate;
          say(accepted.linked ? "Linked to the same claim already recorded." : "Accepted as a claim.");
          reload();
        } catch (error) {
          say(error.message, true);
        }
      },
    }, "Accept"));
    actions.push(h("button", {
      type: "button", class: "secondary",
      onclick: async () => {
        try {
          await gql("mutation DeskDismiss($id: UUID!) { dismissCandidate(id: $id) { id } }", { id: c.id });
          reload();
        } catch (error) {
          say(error.message, true);
        }
      },
    }, "Dismiss"));
  }
  return h(
    "li",
    { "data-candidate": c.id },
    h("div", {}, h("span", { class: "badge" }, words(c.kind)), " ", c.text),
    h("div", { class: "hint" }, `${speaker} · ${words(c.status)} · rule ${c.rule} · confidence ${Math.round(c.confidence * 100)} %`),
    c.claimId ? h("a", { href: `#/claim/${c.claimId}` }, "Open the claim") : null,
    matches.length ? h("div", {}, h("div", { class: "hint" }, "Checked before?"), h("ul", { class: "plain" }, matches)) : null,
    actions.length ? h("div", { class: "row" }, actions) : null,
  );
}

async function articleView(main, id) {
  const reload = async () => {
    let article;
    try {
      article = (await gql(ARTICLE, { id })).article;
    } catch (error) {
      say(error.message, true);
      return;
    }
    if (!article) {
      fill(main, h("h1", {}, "No such article"));
      return;
    }
    const open = article.candidates.filter((c) => c.status === "OPEN");
    // The sources the article's candidates name: the choices when attributing one.
    const speakers = [...new Map(article.candidates.filter((c) => c.speaker && c.speaker.sourceId).map((c) => [c.speaker.sourceId, c.speaker])).values()];
    fill(main, 
      h("h1", { id: "article-title" }, article.title),
      h("p", { class: "hint" }, h("a", { href: article.url, rel: "noopener noreferrer", target: "_blank" }, article.url), article.outlet ? ` — ${article.outlet.name}` : "", article.publishedAt ? `, ${when(article.publishedAt)}` : ""),
      h(
        "div",
        { class: "grid" },
        h("section", { class: "panel", "aria-label": "The article" }, markedBody(article.body, article.candidates)),
        h(
          "section",
          { class: "panel", "aria-labelledby": "candidates-title" },
          h("h2", { id: "candidates-title" }, `Candidates (${open.length} open)`),
          can("EDITOR") ? h("p", {}, h("button", {
            type: "button", class: "secondary",
            onclick: async () => {
              try {
                await gql("mutation DeskExtract($id: UUID!) { extractClaims(articleId: $id) { id } }", { id });
                reload();
              } catch (error) {
                say(error.message, true);
              }
            },
          }, "Extract again")) : null,
          h("ol", { class: "history", id: "candidates" }, article.candidates.map((c) => candidateItem(c, speakers, reload))),
        ),
      ),
    );
  };
  await reload();
}

// ---------------------------------------------------------------- sources

const WINDOWS = { "30": "the last 30 days", "365": "the last year", all: "all time" };

async function sourceView(main, id) {
  const period = h("select", { name: "period" }, Object.entries(WINDOWS).map(([value, label]) => h("option", { value, selected: value === "365" }, label)));
  const record = h("div", { id: "record" });
  const draw = async () => {
    const from = period.value === "all" ? null : new Date(Date.now() - Number(period.value) * 86400000).toISOString();
    try {
      const source = (await gql(
        `query DeskSource($id: UUID!, $from: DateTime) {
          source(id: $id) {
            id name kind aliases description url
            record(from: $from) { judged byVerdict { verdict count } }
            claims(first: 50) { totalCount nodes { id text currentVerdict status createdAt } }
          }
        }`,
        { id, from },
      )).source;
      if (!source) {
        fill(main, h("h1", {}, "No such source"));
        return;
      }
      record.replaceChildren(
        h("p", {}, `${source.record.judged} claims judged over ${WINDOWS[period.value]}`),
        h("ul", { class: "plain" }, source.record.byVerdict.map((v) => h("li", {}, badge(v.verdict), ` ${v.count}`))),
      );
      fill(main, 
        h("h1", { id: "source-name" }, source.name),
        h("p", { class: "hint" }, [words(source.kind), source.aliases.length ? `also ${source.aliases.join(", ")}` : null, source.description].filter(Boolean).join(" · ")),
        h(
          "div",
          { class: "grid" },
          h("section", { class: "panel", "aria-labelledby": "source-claims" }, h("h2", { id: "source-claims" }, `Claims (${source.claims.totalCount})`),
            h("ul", { class: "claims" }, source.claims.nodes.map((c) => h("li", { "data-claim": c.id }, h("a", { href: `#/claim/${c.id}` }, h("div", {}, c.text), h("div", { class: "meta" }, badge(c.currentVerdict), h("span", {}, words(c.status)), h("span", {}, when(c.createdAt)))))))),
          h("section", { class: "panel", "aria-labelledby": "source-record" }, h("h2", { id: "source-record" }, "Record"), field("Over", period), record),
        ),
      );
    } catch (error) {
      say(error.message, true);
    }
  };
  period.addEventListener("change", draw);
  await draw();
}

// ---------------------------------------------------------------- routing

async function render() {
  for (const stop of desk.stopLive.splice(0)) stop();
  queue.keys = null;
  const main = document.getElementById("main");
  fill(main, );
  const route = location.hash.replace(/^#\/?/, "").split("/");
  document.querySelectorAll("[data-nav]").forEach((a) => a.toggleAttribute("aria-current", a.dataset.nav === route[0]));
  if (!desk.me) {
    signInView(main);
    return;
  }
  if (route[0] === "claim" && route[1]) await claimView(main, route[1]);
  else if (route[0] === "article" && route[1] === "new" && can("EDITOR")) newArticleView(main);
  else if (route[0] === "article" && route[1]) await articleView(main, route[1]);
  else if (route[0] === "source" && route[1]) await sourceView(main, route[1]);
  else queueView(main);
}

document.addEventListener("keydown", (event) => {
  if (queue.keys && !event.ctrlKey && !event.metaKey && !event.altKey) queue.keys(event);
});

window.addEventListener("hashchange", render);

document.getElementById("sign-out").addEventListener("click", () => signOut());

(async () => {
  const saved = sessionStorage.getItem(KEY);
  if (saved) {
    try {
      await signIn(saved);
    } catch (error) {
      sessionStorage.removeItem(KEY);
      desk.key = null;
    }
  }
  render();
})();
