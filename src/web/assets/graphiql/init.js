// GraphiQL for claimtrack: every script is served by claimtrack itself. Queries and
// mutations go over HTTP, subscriptions over graphql-transport-ws, both with the
// Authorization header from the Headers tab (prefilled with the desk's key when the
// desk is signed in in this tab).
(function () {
  "use strict";

  var DASHBOARD = [
    "# The dashboard: newest claims with what a fact-checking desk shows.",
    "query Dashboard($status: [ClaimStatus!]) {",
    "  claims(first: 20, filter: { status: $status }) {",
    "    nodes {",
    "      id text kind status createdAt",
    "      quantity { value lower upper unit measure subject }",
    "      speaker { name }",
    "      appearances { nodes { excerpt article { title url outlet { name } } } }",
    "      verifications(first: 3) { nodes { verdict rating createdAt } }",
    "    }",
    "  }",
    "}",
    ""
  ].join("\n");

  var key = null;
  try {
    key = window.sessionStorage.getItem("claimtrack.key");
  } catch (e) {
    key = null;
  }
  var headers = { Authorization: "Bearer " + (key || "<your API key>") };

  var url = window.location.origin + "/graphql";
  var wsUrl = url.replace(/^http/, "ws");
  // One websocket client per Authorization value: the connection carries its
  // credentials in connection_init, so a changed header needs a new connection.
  var fetchers = {};
  function fetcherFor(authorization) {
    var cacheKey = authorization || "";
    if (!fetchers[cacheKey]) {
      fetchers[cacheKey] = GraphiQL.createFetcher({
        url: url,
        subscriptionUrl: wsUrl,
        wsConnectionParams: authorization ? { Authorization: authorization } : {}
      });
    }
    return fetchers[cacheKey];
  }
  function fetcher(params, options) {
    var given = (options && options.headers) || {};
    var authorization = given.Authorization || given.authorization || null;
    return fetcherFor(authorization)(params, options);
  }

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DASHBOARD,
      defaultHeaders: JSON.stringify(headers, null, 2),
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers"
    })
  );
})();
