using System.Text.RegularExpressions;

namespace Merx.Storage;

/// <summary>
/// Where a store lives, parsed from a <c>--db</c> value: a file path is a SQLite store;
/// <c>postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE</c> (or <c>postgresql://</c>) names a PostgreSQL
/// database; any other <c>scheme://</c> is an <see cref="ArgumentException"/> naming the accepted forms.
/// Parsing here, once, is what keeps <c>--db redis://x</c> from becoming a SQLite file under a folder
/// named <c>redis:</c>. Messages and <see cref="object.ToString"/> never carry a password.
/// </summary>
public abstract partial record StoreLocation
{
    /// <summary>The forms a <c>--db</c> value may take, for help texts and error messages.</summary>
    public const string AcceptedForms = "a SQLite file path (e.g. merx.db) or postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE";

    /// <summary>
    /// Parses a <c>--db</c> value. A value is a URL when it starts with a scheme of two or more letters
    /// followed by <c>://</c>; everything else (relative, absolute, <c>C:\…</c>, <c>C:/…</c>) is a file path,
    /// kept as given. Throws <see cref="ArgumentException"/> for an empty value, an unknown scheme or a
    /// malformed PostgreSQL URL (without a parameter name: the message is shown to users as it is).
    /// </summary>
    public static StoreLocation Parse(string db)
    {
        if (string.IsNullOrWhiteSpace(db)) throw new ArgumentException($"the store location is empty: give {AcceptedForms}");
        var scheme = Scheme().Match(db);
        if (!scheme.Success) return new SqliteLocation(db);
        var name = scheme.Groups[1].Value.ToLowerInvariant();
        if (name is "postgres" or "postgresql") return PostgresLocation.ParseUrl(db, name);
        throw new ArgumentException($"unsupported store location scheme '{name}://': give {AcceptedForms}");
    }

    [GeneratedRegex(@"^([A-Za-z][A-Za-z0-9+.\-]+)://")]
    private static partial Regex Scheme();
}

/// <summary>An embedded SQLite store file (created with its folder when missing, by <see cref="Sqlite.SqliteStore.Open"/>).</summary>
/// <param name="Path">The path as given (relative paths are resolved against the working directory when opened).</param>
public sealed record SqliteLocation(string Path) : StoreLocation;

/// <summary>A PostgreSQL database. <see cref="ToString"/> leaves the password out.</summary>
/// <param name="Password">Null when the URL carries none.</param>
/// <param name="Port">5432 when the URL names none.</param>
public sealed record PostgresLocation(string User, string? Password, string Host, int Port, string Database) : StoreLocation
{
    /// <summary>PostgreSQL's default port.</summary>
    public const int DefaultPort = 5432;

    /// <summary>The URL without the password, safe to print and log.</summary>
    public override string ToString() => $"postgres://{User}@{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port}/{Database}";

    internal static PostgresLocation ParseUrl(string url, string scheme)
    {
        const string form = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE";
        // The message names what is wrong, never the value: the value may carry a password.
        ArgumentException Bad(string what) => new($"malformed {scheme}:// store location ({what}): expected {form}");
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw Bad("not a URL");
        if (uri.Query.Length > 0 || uri.Fragment.Length > 0) throw Bad("options after '?' or '#' are not supported");
        var at = uri.UserInfo.IndexOf(':');
        var user = Uri.UnescapeDataString(at < 0 ? uri.UserInfo : uri.UserInfo[..at]);
        if (user.Length == 0) throw Bad("no USER");
        var password = at < 0 ? null : Uri.UnescapeDataString(uri.UserInfo[(at + 1)..]);
        var host = uri.IdnHost.Trim('[', ']');
        if (host.Length == 0) throw Bad("no HOST");
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length == 0 || database.Contains('/')) throw Bad("DATABASE must be one path segment");
        return new PostgresLocation(user, password, host, uri.IsDefaultPort || uri.Port < 0 ? DefaultPort : uri.Port, database);
    }
}
