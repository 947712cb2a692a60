using System.Security.Cryptography;
using System.Text;

namespace Merx.Service.Security;

/// <summary>What an API key may do. Each scope includes the ones before it: a write key also reads, an admin key does everything.</summary>
public enum ApiScope
{
    /// <summary>A shop's front end: recommendations, similar items, search, a user's interest profile.</summary>
    Read,
    /// <summary>Ingestion: events, feedback, catalog items, user attributes.</summary>
    Write,
    /// <summary>Operations: models and training, experiments, forgetting users, statistics, audiences and segments.</summary>
    Admin,
}

/// <summary>
/// The API keys a server accepts, each with its scope, from three places merged: <c>MERX_API_KEY</c>
/// (or <c>--api-key</c>: one admin key, as before scopes existed), <c>MERX_API_KEYS</c>
/// (<c>scope:key,scope:key…</c>) and a keys file (one <c>scope key</c> per line, <c># comments</c>)
/// that is read again when it changes (checked at most once a second), so a key is added, rotated or
/// revoked without a restart: add the new key, move the clients, delete the old one. A file that fails to
/// parse keeps the keys read before (its error is in <see cref="FileError"/>, which names the line, never a
/// key). Keys are held only as SHA-256 digests and compared in constant time; nothing here prints a key.
/// </summary>
public sealed class ApiKeyRing
{
    private readonly IReadOnlyList<(byte[] Digest, ApiScope Scope)> _fixed;
    private readonly string? _file;
    private readonly Lock _reload = new();
    private volatile IReadOnlyList<(byte[] Digest, ApiScope Scope)> _fromFile = [];
    private (DateTime Written, long Length) _fileStamp;
    private long _nextCheck;

    /// <summary>Builds the ring; throws <see cref="ArgumentException"/> for a malformed list or file, and when no key is configured at all.</summary>
    public ApiKeyRing(string? adminKey, string? keyList, string? keysFile)
    {
        var keys = new List<(byte[], ApiScope)>();
        if (!string.IsNullOrEmpty(adminKey)) keys.Add((Digest(adminKey), ApiScope.Admin));
        if (!string.IsNullOrWhiteSpace(keyList))
            foreach (var entry in keyList.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var colon = entry.IndexOf(':');
                if (colon <= 0 || colon == entry.Length - 1) throw new ArgumentException("MERX_API_KEYS: every entry must be scope:key (scopes read, write, admin)");
                keys.Add((Digest(entry[(colon + 1)..]), ParseScope(entry[..colon], "MERX_API_KEYS")));
            }
        _fixed = keys;
        _file = string.IsNullOrEmpty(keysFile) ? null : Path.GetFullPath(keysFile);
        if (_file is not null)
        {
            if (!File.Exists(_file)) throw new ArgumentException($"API keys file '{_file}' does not exist");
            Reload(force: true);
            if (FileError is { } error) throw new ArgumentException(error);
        }
        if (_fixed.Count == 0 && _fromFile.Count == 0) throw new ArgumentException("an API key is required (MERX_API_KEY, MERX_API_KEYS, --api-key or --api-keys-file)");
    }

    /// <summary>Why the keys file was last refused (the keys read before stay in force); null when it was read.</summary>
    public string? FileError { get; private set; }

    /// <summary>How many keys of each scope are accepted now (for status pages: counts, never keys).</summary>
    public (int Read, int Write, int Admin) Counts
    {
        get
        {
            Reload(force: false);
            var all = _fixed.Concat(_fromFile).ToList();
            return (all.Count(k => k.Scope == ApiScope.Read), all.Count(k => k.Scope == ApiScope.Write), all.Count(k => k.Scope == ApiScope.Admin));
        }
    }

    /// <summary>The scope of <paramref name="given"/>, or null when it is no key of this ring. Every key is compared (constant time each), so the time does not say which matched.</summary>
    public ApiScope? Find(string? given)
    {
        if (string.IsNullOrEmpty(given)) return null;
        Reload(force: false);
        var digest = Digest(given);
        ApiScope? found = null;
        foreach (var list in (ReadOnlySpan<IReadOnlyList<(byte[] Digest, ApiScope Scope)>>)[_fixed, _fromFile])
            foreach (var (d, scope) in list)
                if (CryptographicOperations.FixedTimeEquals(d, digest) && (found is null || scope > found)) found = scope;
        return found;
    }

    /// <summary>True when <paramref name="given"/> is a key whose scope includes <paramref name="needed"/>.</summary>
    public bool Allows(string? given, ApiScope needed) => Find(given) is { } scope && scope >= needed;

    private void Reload(bool force)
    {
        if (_file is null) return;
        var now = Environment.TickCount64;
        if (!force && now < Volatile.Read(ref _nextCheck)) return;
        lock (_reload)
        {
            if (!force && now < _nextCheck) return;
            _nextCheck = now + 1000;
            try
            {
                var info = new FileInfo(_file);
                if (!info.Exists) { FileError = $"API keys file '{_file}' is gone; the keys read before stay in force"; return; }
                var stamp = (info.LastWriteTimeUtc, info.Length);
                if (!force && stamp == _fileStamp) return;
                _fromFile = ParseFile(File.ReadAllLines(_file));
                _fileStamp = stamp;
                FileError = null;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                FileError = e is ArgumentException ? e.Message : $"API keys file '{_file}' could not be read ({e.GetType().Name}); the keys read before stay in force";
            }
        }
    }

    private List<(byte[], ApiScope)> ParseFile(string[] lines)
    {
        var keys = new List<(byte[], ApiScope)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2) throw new ArgumentException($"API keys file '{_file}' line {i + 1}: expected 'scope key' (scopes read, write, admin)");
            keys.Add((Digest(parts[1]), ParseScope(parts[0], $"API keys file '{_file}' line {i + 1}")));
        }
        return keys;
    }

    private static ApiScope ParseScope(string scope, string where) => scope.Trim().ToLowerInvariant() switch
    {
        "read" => ApiScope.Read,
        "write" => ApiScope.Write,
        "admin" => ApiScope.Admin,
        _ => throw new ArgumentException($"{where}: unknown scope '{scope}' (scopes read, write, admin)"),
    };

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Counts only: a ring is safe to print.</summary>
    public override string ToString()
    {
        var (r, w, a) = Counts;
        return $"API keys: {r} read, {w} write, {a} admin";
    }
}
