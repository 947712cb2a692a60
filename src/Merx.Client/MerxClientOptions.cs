namespace Merx.Client;

/// <summary>Where the Merx server is and the key it wants (<c>X-Api-Key</c>: required for writes, and for reads from another machine).</summary>
public sealed class MerxClientOptions
{
    /// <summary>The server's base address, e.g. <c>http://127.0.0.1:5080/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>The API key sent as <c>X-Api-Key</c> on every request (null: none).</summary>
    public string? ApiKey { get; set; }
}

/// <summary>The HTTP method and route template of the API endpoint a client method calls (as in the server's OpenAPI document).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class MerxEndpointAttribute(string method, string route) : Attribute
{
    public string Method { get; } = method;
    public string Route { get; } = route;
}

/// <summary>An answer other than 2xx: the status and the server's problem+json (title, detail, request id).</summary>
public sealed class MerxApiException(int status, string? title, string? detail, string? requestId, string body)
    : Exception($"Merx answered {status}{(title is null ? "" : ": " + title)}{(detail is null ? "" : " — " + detail)}{(requestId is null ? "" : $" (request {requestId})")}")
{
    public int Status { get; } = status;
    public string? Title { get; } = title;
    public string? Detail { get; } = detail;
    public string? RequestId { get; } = requestId;
    public string Body { get; } = body;
}
