using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;

namespace Merx.Server.Http;

/// <summary>
/// Where a request came from (issue #16). A reverse proxy on the server's machine makes every peer
/// address loopback, so the peer alone says nothing: with <see cref="Merx.Service.MerxServerOptions.TrustedProxies"/>
/// set, ASP.NET Core's forwarded-headers middleware replaces the peer by the client that the trusted
/// proxies name in <c>X-Forwarded-For</c> (walking back through every trusted hop); a forwarding header
/// from a peer that is not trusted is left in place, and such a request is never local.
/// </summary>
public static class ClientOrigin
{
    /// <summary>Headers by which a proxy says it forwarded the request (X-Original-For: what the middleware keeps once it applied X-Forwarded-For).</summary>
    private static readonly string[] ForwardingHeaders = ["X-Forwarded-For", "Forwarded", ForwardedHeadersDefaults.XOriginalForHeaderName];

    /// <summary>
    /// The real client is on this machine: a loopback address after the trusted proxies' headers were
    /// applied, and no forwarding header left that no trusted proxy accounted for. Decides whether an
    /// API read needs the key.
    /// </summary>
    public static bool IsLoopbackClient(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is not null && !IPAddress.IsLoopback(remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote)) return false;
        return !context.Request.Headers.ContainsKey("X-Forwarded-For") && !context.Request.Headers.ContainsKey("Forwarded");
    }

    /// <summary>
    /// The request went through a proxy, trusted or not: it carries a forwarding header. Such a request
    /// is never local for the decision to put the API key into a page (the page can leave the machine).
    /// </summary>
    public static bool CameThroughProxy(HttpRequest request) => ForwardingHeaders.Any(request.Headers.ContainsKey);

    /// <summary>
    /// Parses <c>ADDR[,ADDR|CIDR…]</c> (IPv4 or IPv6 addresses and networks such as <c>10.0.0.0/8</c>).
    /// </summary>
    /// <exception cref="ArgumentException">An entry is neither an address nor a network.</exception>
    public static (IReadOnlyList<IPAddress> Proxies, IReadOnlyList<System.Net.IPNetwork> Networks) ParseTrusted(string? list)
    {
        var proxies = new List<IPAddress>();
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (entry.Contains('/') && System.Net.IPNetwork.TryParse(entry, out var network)) networks.Add(network);
            else if (!entry.Contains('/') && IPAddress.TryParse(entry, out var address)) proxies.Add(address);
            else throw new ArgumentException($"trusted proxy '{entry}' is neither an IP address nor a CIDR network (such as 10.0.0.0/8)");
        }
        return (proxies, networks);
    }

    /// <summary>
    /// Registers the forwarded-headers settings for the trusted proxies; none registered when the list
    /// is empty (the middleware trusts every peer when it knows no proxy, so it must not run then).
    /// </summary>
    public static IServiceCollection AddTrustedProxies(this IServiceCollection services, string? list)
    {
        var (proxies, networks) = ParseTrusted(list);
        if (proxies.Count + networks.Count == 0) return services;
        return services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto; // never X-Forwarded-Host: the dashboard's host check stays the proxy's Host
            o.ForwardLimit = null;                                                                    // every trusted hop, back to the first untrusted address
            o.KnownProxies.Clear();
            o.KnownIPNetworks.Clear();                                                                // the defaults trust loopback: only what was configured
            foreach (var p in proxies) o.KnownProxies.Add(p);
            foreach (var n in networks) o.KnownIPNetworks.Add(n);
        });
    }

    /// <summary>Applies the trusted proxies' X-Forwarded-For before anything reads the client address (when any proxy is trusted).</summary>
    public static WebApplication UseTrustedProxies(this WebApplication app, string? list)
    {
        var (proxies, networks) = ParseTrusted(list);
        if (proxies.Count + networks.Count > 0) app.UseForwardedHeaders();
        return app;
    }
}
