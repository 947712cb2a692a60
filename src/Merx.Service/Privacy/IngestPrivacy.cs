using Merx.Core.Domain;
using Merx.Privacy.Scrubbing;

namespace Merx.Service.Privacy;

/// <summary>
/// What every way into the store passes through (the importer, <c>merx demo</c>, the events, users and
/// feedback endpoints): user ids become pseudonyms (<see cref="UserIds"/>), and personal data is
/// scrubbed from user attributes and from the free text events carry (search queries, session ids) by
/// <see cref="PiiScrubber"/>, counted in a <see cref="ScrubReport"/>. Streams stay streams: a bulk
/// import remembers each distinct raw id's pseudonym (and each session's scrubbed form) for the
/// stream's lifetime only, so the HMAC runs once per user, not once per event. These methods never
/// touch the store (the streams are read inside its write transaction): during a key rotation, call
/// <see cref="Rekey(IEnumerable{RawEvent})"/> on the same input first, so returning users are renamed to
/// their current pseudonym before their new events are written.
/// </summary>
public sealed class IngestPrivacy(UserIds ids)
{
    /// <summary>Distinct ids (and sessions) a stream remembers before starting over (bounds memory on huge imports).</summary>
    public const int MemoCapacity = 1_000_000;

    private readonly PiiScrubber _scrubber = new();

    public UserIds Ids => ids;

    /// <summary>True while a lazy key rotation is in progress (older keys configured): writers call <see cref="Rekey(IEnumerable{RawEvent})"/> first.</summary>
    public bool Rekeying => ids.Rekeying is not null;

    /// <summary>Renames the users of these events that the store holds under an older key (a no-op without a rotation in progress).</summary>
    public void Rekey(IEnumerable<RawEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (Rekeying) ids.Rekey(events.Select(e => e.User));
    }

    /// <summary>Renames these profiles' users that the store holds under an older key (a no-op without a rotation in progress).</summary>
    public void Rekey(IEnumerable<UserProfile> users)
    {
        ArgumentNullException.ThrowIfNull(users);
        if (Rekeying) ids.Rekey(users.Select(u => u.Id));
    }

    /// <summary>One event with its user pseudonymized and its query and session scrubbed.</summary>
    public RawEvent Event(RawEvent e, ScrubReport report) => e with
    {
        User = ids.Pseudonym(e.User),
        Query = e.Query is null ? null : _scrubber.ScrubText(e.Query, report),
        Session = e.Session is null ? null : _scrubber.ScrubText(e.Session, report),
    };

    /// <summary>A stream of events, pseudonymized and scrubbed lazily (the report fills as the stream is read).</summary>
    public IEnumerable<RawEvent> Events(IEnumerable<RawEvent> events, ScrubReport report)
    {
        ArgumentNullException.ThrowIfNull(events);
        return Stream(events, report, new Dictionary<string, string>(StringComparer.Ordinal));
    }

    /// <summary>
    /// A whole batch held in memory (the events endpoint): during a key rotation its returning users are
    /// renamed first (one store call for the batch), then the events are pseudonymized and scrubbed. Each
    /// distinct user's HMAC is computed once for both steps.
    /// </summary>
    public List<RawEvent> Batch(IReadOnlyList<RawEvent> events, ScrubReport report)
    {
        ArgumentNullException.ThrowIfNull(events);
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in events)
            if (!string.IsNullOrEmpty(e.User) && !users.ContainsKey(e.User)) users[e.User] = ids.Pseudonym(e.User);
        // An id that is already a pseudonym maps to itself: nothing to look up under older keys.
        if (ids.Rekeying is { } rekeying) rekeying.ResolveMany(users.Where(p => !ids.IsPseudonym(p.Key)).Select(p => (p.Value, p.Key)));
        return Stream(events, report, users).ToList();
    }

    private IEnumerable<RawEvent> Stream(IEnumerable<RawEvent> events, ScrubReport report, Dictionary<string, string> users)
    {
        var sessions = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (string.IsNullOrEmpty(e.User)) { yield return e; continue; } // the store rejects it with the event's position
            if (!users.TryGetValue(e.User, out var user))
            {
                if (users.Count >= MemoCapacity) users.Clear();
                users[e.User] = user = ids.Pseudonym(e.User);
            }
            string? session = null;
            if (e.Session is { } s && !sessions.TryGetValue(s, out session))
            {
                if (sessions.Count >= MemoCapacity) sessions.Clear();
                sessions[s] = session = _scrubber.ScrubText(s, report);
            }
            var query = e.Query is null ? null : _scrubber.ScrubText(e.Query, report);
            yield return e with { User = user, Session = session, Query = query };
        }
    }

    /// <summary>A user profile with its id pseudonymized and personal attributes dropped or masked.</summary>
    public UserProfile User(UserProfile u, ScrubReport report)
    {
        var (cleaned, _) = _scrubber.ScrubAttributes(u.Attributes, report);
        return new UserProfile { Id = ids.Pseudonym(u.Id), Attributes = cleaned };
    }

    /// <summary>A stream of user profiles (see <see cref="User"/>).</summary>
    public IEnumerable<UserProfile> Users(IEnumerable<UserProfile> users, ScrubReport report)
    {
        ArgumentNullException.ThrowIfNull(users);
        foreach (var u in users) yield return string.IsNullOrEmpty(u.Id) ? u : User(u, report);
    }
}
