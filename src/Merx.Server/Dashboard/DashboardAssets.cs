using System.Net;
using System.Reflection;
using System.Text;

namespace Merx.Server.Dashboard;

/// <summary>
/// The dashboard's page, script and style sheet, embedded in this assembly (plain files under
/// Dashboard/wwwroot: no front-end toolchain). The page gets the API key written into a meta tag
/// when the server decides the client may have it (see <see cref="DashboardAuth"/>).
/// </summary>
internal static class DashboardAssets
{
    private const string KeyMarker = "__MERX_KEY__";

    public static string PageTemplate { get; } = Read("index.html");
    public static byte[] Script { get; } = Encoding.UTF8.GetBytes(Read("app.js"));
    public static byte[] Charts { get; } = Encoding.UTF8.GetBytes(Read("charts.js"));
    public static byte[] KeyScript { get; } = Encoding.UTF8.GetBytes(Read("key.js"));
    public static byte[] Styles { get; } = Encoding.UTF8.GetBytes(Read("app.css"));

    /// <summary>The page with <paramref name="apiKey"/> (HTML-encoded) in its merx-key meta tag; an empty key leaves the tag empty.</summary>
    public static string Page(string? apiKey) => PageTemplate.Replace(KeyMarker, WebUtility.HtmlEncode(apiKey ?? ""), StringComparison.Ordinal);

    /// <summary>The small page answered (401) to a remote browser that did not give the key.</summary>
    public static string KeyPage(bool wrongKey) => $$"""
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer"><title>Merx dashboard: API key needed</title>
        <link rel="icon" href="data:,"><link rel="stylesheet" href="/dashboard/app.css"><script src="/dashboard/key.js"></script></head>
        <body><main><section><div class="card key-card">
        <h2>Merx dashboard</h2>
        <p>This server is reached over the network, so the dashboard needs the server's API key (<code>MERX_API_KEY</code>).</p>
        {{(wrongKey ? "<p class=\"error\">That key does not match the server's API key.</p>" : "")}}
        <form method="get" action="/" class="user-form" id="key-form"><input type="password" name="key" placeholder="API key" autocomplete="current-password" required autofocus><button type="submit">Open</button></form>
        </div></section></main></body></html>
        """;

    /// <summary>An embedded file of this assembly: <c>{folder}/wwwroot/{name}</c> (the dashboard's, or the storefront's).</summary>
    internal static string Read(string name, string folder = "Dashboard")
    {
        var resource = $"Merx.Server.{folder}.{name}";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the embedded resource '{resource}' is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}
