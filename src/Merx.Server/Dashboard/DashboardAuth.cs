using System.Net;
using Merx.Server.Http;
using Merx.Service.Security;
using Microsoft.AspNetCore.Http;

namespace Merx.Server.Dashboard;

/// <summary>
/// Who may open the dashboard page, and whether the page may carry the API key. A browser on the
/// server's own machine (loopback address, and a loopback host name, so that a page from another
/// site rebinding its DNS name to 127.0.0.1 is not trusted) gets the key without typing it, unless
/// the request came through a proxy (trusted or not): such a page can leave the machine. Any
/// other client must give the key once as <c>/?key=…</c> (or in <c>X-Api-Key</c>), compared in
/// constant time; the page then keeps it in sessionStorage and sends it as <c>X-Api-Key</c>.
/// </summary>
internal static class DashboardAuth
{
    public enum Verdict { Local, KeyGiven, Missing, Wrong }

    /// <summary>The page reads admin routes (statistics, a user's events), so a remote browser must give an admin key.</summary>
    public static Verdict Check(HttpContext context, ApiKeyRing keys)
    {
        if (ClientOrigin.IsLoopbackClient(context) && !ClientOrigin.CameThroughProxy(context.Request) && IsLoopbackHost(context.Request.Host.Host)) return Verdict.Local;
        var given = GivenKey(context);
        if (given.Length == 0) return Verdict.Missing;
        return keys.Allows(given, ApiScope.Admin) ? Verdict.KeyGiven : Verdict.Wrong;
    }

    /// <summary>The key the client gave, in <c>X-Api-Key</c> or as <c>?key=</c>; empty when none.</summary>
    public static string GivenKey(HttpContext context) =>
        context.Request.Headers[ApiKeyMiddleware.Header].ToString() is { Length: > 0 } header ? header : context.Request.Query["key"].ToString();

    public static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip);
}
