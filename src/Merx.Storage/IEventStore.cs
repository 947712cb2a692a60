using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>
/// The events role: the append-only behaviour log (what users did, in arrival order), the reads
/// that serve from it (a user's recent events, recently active users, the dashboard's timeline),
/// the whole-store views training and reporting take of it (<see cref="LoadDataset"/>,
/// <see cref="GetStats"/>), and the log of import runs that fed it. Ingestion, the history cache,
/// training and <c>merx import</c>/<c>merx stats</c> need this role.
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// Appends events in one transaction, in enumeration order, each getting the next sequence
    /// number (arrival order; never reused, also after deletions). The enumerable is streamed,
    /// never materialized. Users and items named for the first time are created. If the
    /// enumerable throws, or an event is invalid (empty user, missing item on a non-search event,
    /// unknown kind, non-finite value), nothing is written and the exception propagates
    /// (invalid events raise <see cref="ArgumentException"/> naming the event's position).
    /// </summary>
    ImportBatch AppendEvents(IEnumerable<RawEvent> events);

    /// <summary>The user's latest events, newest first (by arrival sequence), at most <paramref name="limit"/>.</summary>
    IReadOnlyList<RawEvent> RecentEvents(string userId, int limit);

    /// <summary>
    /// The sequence number the next appended event will get: it grows with every append by any
    /// writer (also another process), so a reader holding a cache can tell that someone else wrote.
    /// </summary>
    long NextEventSequence();

    /// <summary>Users with the most recent activity first (at most <paramref name="limit"/>).</summary>
    IReadOnlyList<string> RecentUsers(int limit);

    /// <summary>
    /// Builds a training <see cref="Dataset"/> through <see cref="DatasetBuilder"/>: the catalog
    /// (in insertion order), then the profiles (in insertion order), then every event in arrival
    /// order. The result equals what a builder fed the same input that way would give.
    /// Without <paramref name="itemText"/>, the catalog items come without their title and description (everything else as
    /// stored): a fit that reads no text needs neither, and at 10M generated items they are about 4 GB of strings.
    /// </summary>
    Dataset LoadDataset(bool itemText = true);

    /// <summary>Counts, the same figures a <see cref="Dataset"/> loaded from this store gives.</summary>
    StoreStats GetStats();

    /// <summary>Events per (UTC day of their timestamp, kind), oldest day first, for days on or after <paramref name="since"/> (the dashboard's timeline).</summary>
    IReadOnlyList<DailyEventCount> EventTimeline(DateOnly since);

    /// <summary>Logs one import run (what file, what format, how it went).</summary>
    void RecordImport(string source, string format, string reportSummary, long accepted, long skipped);

    /// <summary>The import log, oldest first.</summary>
    IReadOnlyList<ImportRecord> ListImports();
}
