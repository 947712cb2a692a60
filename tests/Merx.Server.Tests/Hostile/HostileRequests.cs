using System.Text;

namespace Merx.Server.Tests.Hostile;

/// <summary>One generated request: what it targets (a route template, for the report), and what is sent.</summary>
public sealed record HostileRequest(string Endpoint, string Attack, HttpMethod Method, string Url, byte[]? Body, string? ContentType, string? Key);

/// <summary>
/// The hostile-input campaign's generator (issue #20): deterministic from a seed, it takes every endpoint
/// of the server with a valid request and breaks it one way at a time: malformed JSON, wrong types,
/// huge and deeply nested bodies, lone surrogates, control characters and broken UTF-8, absurd numbers,
/// path tricks in ids, a missing, wrong or too weak key, a wrong content type or method.
/// </summary>
public sealed class HostileRequests(int seed, string adminKey, string readKey)
{
    private readonly Random _rng = new(seed);

    private sealed record Endpoint(string Name, HttpMethod Method, string Path, string Query, string? Body);

    // Every route with a valid request; {id} is replaced by an id (or a trick).
    private static readonly Endpoint[] Endpoints =
    [
        new("POST /api/events", HttpMethod.Post, "/api/events", "", """{"events": [{"user": "h-user", "item": "i1", "kind": "view", "timestamp": 1700000000, "value": 1, "session": "s1"}]}"""),
        new("POST /api/items", HttpMethod.Post, "/api/items", "", """{"items": [{"id": "h-item", "title": "A hat", "category": "Clothes > Hats", "brand": "b", "price": 9.5, "tags": ["x"], "in_stock": true}]}"""),
        new("DELETE /api/items/{id}", HttpMethod.Delete, "/api/items/{id}", "", null),
        new("PUT /api/items/{id}/stock", HttpMethod.Put, "/api/items/{id}/stock", "", """{"in_stock": false}"""),
        new("GET /api/items/{id}/similar", HttpMethod.Get, "/api/items/{id}/similar", "n=5", null),
        new("GET /api/users/{id}/recommendations", HttpMethod.Get, "/api/users/{id}/recommendations", "n=5&page=home&explore=false&budget_ms=50", null),
        new("POST /api/sessions/recommendations", HttpMethod.Post, "/api/sessions/recommendations", "", """{"items": ["i1", "i2"], "n": 5}"""),
        new("GET /api/search", HttpMethod.Get, "/api/search", "q=hat&user=u1&n=5", null),
        new("GET /api/users/{id}/shops", HttpMethod.Get, "/api/users/{id}/shops", "n=3", null),
        new("GET /api/audiences", HttpMethod.Get, "/api/audiences", "item=i1&n=10", null),
        new("PUT /api/users/{id}", HttpMethod.Put, "/api/users/{id}", "", """{"attributes": {"age_band": "25-34", "region": "south"}}"""),
        new("DELETE /api/users/{id}", HttpMethod.Delete, "/api/users/{id}", "", null),
        new("GET /api/users/{id}/profile", HttpMethod.Get, "/api/users/{id}/profile", "", null),
        new("GET /api/users/{id}/events", HttpMethod.Get, "/api/users/{id}/events", "limit=5", null),
        new("GET /api/segments", HttpMethod.Get, "/api/segments", "attribute=region", null),
        new("POST /api/feedback", HttpMethod.Post, "/api/feedback", "", """{"recommendation_id": "r1", "user": "u1", "item": "i1", "kind": "click"}"""),
        new("GET /api/models", HttpMethod.Get, "/api/models", "", null),
        new("POST /api/models/train", HttpMethod.Post, "/api/models/train", "", """{"models": ["pop"], "time_budget_minutes": 0.1}"""),
        new("GET /api/models/training", HttpMethod.Get, "/api/models/training", "", null),
        new("POST /api/experiments", HttpMethod.Post, "/api/experiments", "", """{"id": "h-exp", "variants": [{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}]}"""),
        new("GET /api/experiments", HttpMethod.Get, "/api/experiments", "", null),
        new("GET /api/experiments/{id}", HttpMethod.Get, "/api/experiments/{id}", "", null),
        new("POST /api/experiments/{id}/stop", HttpMethod.Post, "/api/experiments/{id}/stop", "", null),
        new("GET /api/stats", HttpMethod.Get, "/api/stats", "", null),
        new("GET /api/stats/timeline", HttpMethod.Get, "/api/stats/timeline", "days=30", null),
        new("GET /api/stats/exploration", HttpMethod.Get, "/api/stats/exploration", "hours=24", null),
        new("GET /api/dashboard/users", HttpMethod.Get, "/api/dashboard/users", "n=5", null),
        new("GET /api/dashboard/status", HttpMethod.Get, "/api/dashboard/status", "", null),
        new("GET /api/trust/surge", HttpMethod.Get, "/api/trust/surge", "watch=10", null),
        new("GET /health/ready", HttpMethod.Get, "/health/ready", "", null),
        new("GET /", HttpMethod.Get, "/", "", null),
    ];

    /// <summary>The endpoints attacked (for the report's rows).</summary>
    public static IEnumerable<string> EndpointNames => Endpoints.Select(e => e.Name);

    private static readonly string[] IdTricks =
    [
        "..", "%2e%2e", "..%2F..%2Fetc%2Fpasswd", "%00", "a%00b", "%2F", "%5C", "%25", "%3F", "%23", "%20", "~", "*", "%E2%80%AE",
        "%ED%A0%80", "%FF%FE", "%C0%AF", "CON", "u1%0D%0ASet-Cookie:%20x", "%27%20OR%201%3D1--", "%F0%9F%98%80", "{id}",
    ];

    private static readonly string[] Strange =
    [
        "\ud800", "\udfff", "a\ud800b", "\u0000", "\u0001\u0002", "\u001b[31m", "\u202e", "\uffff", "\ufeff", new string('x', 20_000), "", " ", "\t\r\n",
    ];

    private static readonly string[] AbsurdNumbers =
    [
        "1e309", "-1e309", "99999999999999999999999999", "-0", "0.0000000000000000000001", "NaN", "Infinity", "-Infinity", "1e-400", "2147483648",
        "-2147483649", "9223372036854775808", "0x10", "1_000", "01", ".5", "5.", "+1", "-1",
    ];

    private static readonly string[] WrongValues = ["1", "-1", "1.5", "true", "null", "[]", "{}", "\"\"", "[1,2]", "{\"a\":1}", "\"x\"", "1e309"];

    public IEnumerable<HostileRequest> Generate(int count)
    {
        for (var i = 0; i < count; i++) yield return Next(i);
    }

    private HostileRequest Next(int i)
    {
        var e = Endpoints[i % Endpoints.Length];
        var attacks = new List<string> { "path trick", "strange id", "missing key", "wrong key", "weak key", "wrong method", "query values" };
        if (e.Body is not null) attacks.AddRange(["malformed JSON", "wrong type", "wrong type", "unknown field", "strange string", "strange string", "absurd number", "absurd number", "deep nesting", "big array", "wrong content type", "empty body", "not an object", "duplicate keys", "broken UTF-8"]);
        if (i % 997 == 0 && e.Body is not null) attacks = ["huge body"];
        var attack = attacks[_rng.Next(attacks.Count)];
        var id = e.Path.Contains("{id}") ? "u1" : null;
        var method = e.Method;
        var query = e.Query;
        var body = e.Body;
        string? contentType = body is null ? null : "application/json";
        var key = adminKey;
        byte[]? raw = null;
        switch (attack)
        {
            case "path trick": id = IdTricks[_rng.Next(IdTricks.Length)]; break;
            case "strange id": id = Uri.EscapeDataString(Strange[_rng.Next(Strange.Length)].Replace("\ud800", "").Replace("\udfff", "")) is { Length: > 0 } s ? s : "%20"; break;
            case "missing key": key = null; break;
            case "wrong key": key = _rng.Next(2) == 0 ? "wrong-key" : adminKey + "x"; break;
            case "weak key": key = readKey; break;
            case "wrong method": method = new[] { HttpMethod.Patch, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Post, HttpMethod.Options }[_rng.Next(5)]; break;
            case "query values": query = MutateQuery(query); break;
            case "malformed JSON": body = body![.._rng.Next(1, body!.Length)]; break;
            case "wrong type": body = ReplaceValue(body!, WrongValues[_rng.Next(WrongValues.Length)]); break;
            case "unknown field": body = body!.Insert(1, "\"__proto__\": {\"admin\": true}, "); break;
            case "strange string": body = ReplaceString(body!, Escape(Strange[_rng.Next(Strange.Length)])); break;
            case "absurd number": body = ReplaceValue(body!, AbsurdNumbers[_rng.Next(AbsurdNumbers.Length)]); break;
            case "deep nesting": body = ReplaceValue(body!, Nest(_rng.Next(2) == 0 ? 70 : 5_000)); break;
            case "big array": body = BigArray(body!); break;
            case "wrong content type": contentType = new[] { "text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=utf-16", "" }[_rng.Next(6)]; break;
            case "empty body": body = _rng.Next(2) == 0 ? "" : "null"; break;
            case "not an object": body = new[] { "[]", "[1,2,3]", "\"text\"", "42", "true" }[_rng.Next(5)]; break;
            case "duplicate keys": body = body!.Insert(1, body![1..body.IndexOf(':')] + ": 1, "); break;
            case "broken UTF-8": raw = BrokenUtf8(body!); break;
            case "huge body": raw = HugeBody(); break;
        }
        var url = e.Path.Replace("{id}", id ?? "u1") + (query.Length > 0 ? "?" + query : "");
        raw ??= body is null ? null : Encoding.UTF8.GetBytes(body);
        if (raw is not null && e.Method == HttpMethod.Get) method = HttpMethod.Post;  // (not reached: GETs carry no body)
        return new HostileRequest(e.Name, attack, method, url, raw, raw is null ? null : contentType, key);
    }

    private string MutateQuery(string query)
    {
        var parts = query.Length == 0 ? ["n=5"] : query.Split('&').ToList();
        var k = _rng.Next(parts.Count);
        var name = parts[k].Split('=')[0];
        var value = _rng.Next(3) switch
        {
            0 => Uri.EscapeDataString(AbsurdNumbers[_rng.Next(AbsurdNumbers.Length)]),
            1 => IdTricks[_rng.Next(IdTricks.Length)],
            _ => Uri.EscapeDataString(new string('9', _rng.Next(1, 400))),
        };
        parts[k] = name + "=" + value;
        if (_rng.Next(4) == 0) parts.Add(name + "=" + value);  // the parameter twice
        return string.Join('&', parts);
    }

    /// <summary>Replaces one value (after a randomly chosen colon) with <paramref name="value"/>.</summary>
    private string ReplaceValue(string json, string value)
    {
        var colons = Enumerable.Range(0, json.Length).Where(i => json[i] == ':').ToArray();
        var at = colons[_rng.Next(colons.Length)] + 1;
        var end = at;
        var depth = 0;
        var inString = false;
        for (; end < json.Length; end++)
        {
            var c = json[end];
            if (inString) { if (c == '\\') end++; else if (c == '"') inString = false; continue; }
            if (c == '"') inString = true;
            else if (c is '[' or '{') depth++;
            else if (c is ']' or '}') { if (depth == 0) break; depth--; }
            else if (c == ',' && depth == 0) break;
        }
        return json[..at] + " " + value + json[end..];
    }

    /// <summary>Replaces the content of one string literal with <paramref name="escaped"/>.</summary>
    private string ReplaceString(string json, string escaped)
    {
        var quotes = Enumerable.Range(0, json.Length).Where(i => json[i] == '"').ToArray();
        var pair = _rng.Next(quotes.Length / 2) * 2;
        return json[..(quotes[pair] + 1)] + escaped + json[quotes[pair + 1]..];
    }

    private static string Escape(string s)
    {
        var sb = new StringBuilder();
        foreach (var c in s)
            sb.Append(c < 0x20 || char.IsSurrogate(c) || c == '"' || c == '\\' ? $"\\u{(int)c:x4}" : c.ToString());
        return sb.ToString();
    }

    private static string Nest(int depth) => _nested.GetOrAdd(depth, d => new string('[', d) + new string(']', d));
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> _nested = new();

    private string BigArray(string json)
    {
        var open = json.IndexOf('[');
        if (open < 0) return ReplaceValue(json, "[" + string.Join(',', Enumerable.Repeat("1", 20_000)) + "]");
        var close = json.LastIndexOf(']');
        var element = json[(open + 1)..close];
        return json[..(open + 1)] + string.Join(',', Enumerable.Repeat(element, 10_001)) + json[close..];
    }

    private byte[] BrokenUtf8(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json).ToList();
        var quote = bytes.IndexOf((byte)'"', _rng.Next(bytes.Count / 2));
        byte[][] bad = [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xE2, 0x82], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x00]];
        bytes.InsertRange(Math.Max(quote, 0) + 1, bad[_rng.Next(bad.Length)]);
        return bytes.ToArray();
    }

    private static byte[] HugeBody()
    {
        var bytes = new byte[9 << 20];  // over the 8 MiB limit
        Array.Fill(bytes, (byte)' ');
        bytes[0] = (byte)'{';
        bytes[^1] = (byte)'}';
        return bytes;
    }
}
