using Merx.Core.Data;
using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>
/// Everything Merx persists: the append-only event log, the catalog, user profiles, the model
/// registry and the import log. Backend-neutral: the embedded SQLite store
/// (<see cref="Sqlite.SqliteStore"/>) and the scale-out PostgreSQL store implement it, and both
/// pass the same contract tests. Ids are external strings (users already pseudonymized); dense
/// integer keys are the backend's business and never leak through this interface.
/// Implementations are safe to call from several threads (calls are serialized).
/// </summary>
public interface IMerxStore : IDisposable, IUserChangeFeed
{
    /// <summary>The schema version of the opened store (the highest migration applied).</summary>
    int SchemaVersion { get; }

    /// <summary>
    /// Appends events in one transaction, in enumeration order, each getting the next sequence
    /// number (arrival order; never reused, also after deletions). The enumerable is streamed,
    /// never materialized. Users and items named for the first time are created. If the
    /// enumerable throws, or an event is invalid (empty user, missing item on a non-search event,
    /// unknown kind, non-finite value), nothing is written and the exception propagates
    /// (invalid events raise <see cref="ArgumentException"/> naming the event's position).
    /// </summary>
    ImportBatch AppendEvents(IEnumerable<RawEvent> events);

    /// <summary>Inserts or replaces catalog entries by <see cref="Item.Id"/> (whole record: fields missing in the new one are cleared). Returns how many were written.</summary>
    int UpsertItems(IEnumerable<Item> items);

    /// <summary>Sets the in-stock flag of a catalog item. False when the catalog has no such item.</summary>
    bool SetInStock(string itemId, bool inStock);

    /// <summary>
    /// Removes an item's catalog entry. Events that name it stay (they are the users' history),
    /// so it then loads like any item known only from events. False when it was not in the catalog.
    /// </summary>
    bool DeleteItem(string itemId);

    /// <summary>Inserts or replaces user profiles by <see cref="UserProfile.Id"/>. Returns how many were written.</summary>
    int UpsertUsers(IEnumerable<UserProfile> users);

    /// <summary>
    /// Deletion on request: removes the user's events (with their sessions and queries), profile,
    /// served recommendations and feedback, and leaves no copy of them in the file: deleted content is
    /// overwritten (SQLite's secure_delete is on for every write) and the write-ahead log is
    /// checkpointed and truncated before returning. Returns how many events were removed (0 for an
    /// unknown user). See <see cref="EraseFreedSpace"/> for the stronger, slower rebuild.
    /// </summary>
    long DeleteUser(string userId);

    /// <summary>
    /// Gives renamed users their new id in one transaction (key rotation: old pseudonym → new
    /// pseudonym), in the user table, served lists and feedback. Pairs whose old id is unknown are
    /// skipped; a new id that already exists is an <see cref="ArgumentException"/> and nothing is renamed.
    /// With <paramref name="setting"/>, that setting is swapped (compare and swap, as
    /// <see cref="ReplaceSetting"/>) in the same transaction, and nothing is renamed when it no longer
    /// holds the expected value. Returns how many users were renamed.
    /// </summary>
    int RenameUsers(IReadOnlyDictionary<string, string> renames, (string Key, string Expected, string Value)? setting = null);

    /// <summary>
    /// Lazy key rotation: for each entry whose <see cref="UserRekey.Current"/> id the store does not know,
    /// renames the first of its <see cref="UserRekey.Older"/> ids that it knows to the current id (users,
    /// with their events, sessions and profile; served lists; feedback: what <see cref="RenameUsers"/>
    /// moves). Entries whose current id exists, or that have no stored older id, are left alone (a user
    /// under both ids keeps both). Costs only reads when nothing needs renaming; all renames of one call
    /// are one transaction. Like any update, the old ids' page images stay in the write-ahead log until
    /// the next checkpoint (renames trigger one at most once a second; deletion and closing the store
    /// always do). Returns the renames done (old id, new id).
    /// </summary>
    IReadOnlyList<(string From, string To)> RekeyUsers(IReadOnlyList<UserRekey> users);

    /// <summary>
    /// Users per id prefix: the text up to and including the first '_' (pseudonyms carry their key's
    /// version, <c>p1_</c>, <c>p2_</c>, <c>demo_</c>), or "" for ids without one. Tells how many users a
    /// key rotation still has to move.
    /// </summary>
    IReadOnlyDictionary<string, long> UsersByIdPrefix();

    /// <summary>
    /// Rewrites the file so that nothing deleted survives anywhere in it: checkpoints and truncates the
    /// write-ahead log and, with <paramref name="rebuild"/>, rebuilds the database (VACUUM: time and
    /// temporary disk proportional to the store's size). Used after deletions (`merx forget`).
    /// </summary>
    void EraseFreedSpace(bool rebuild);

    /// <summary>
    /// Distinct users per value of one profile attribute (users whose profile lacks it are not counted):
    /// the raw figures behind a "users by attribute" view, to pass through a k-anonymity gate before release.
    /// </summary>
    IReadOnlyDictionary<string, long> UsersByAttribute(string attribute);

    /// <summary>A text setting of the store (e.g. the pseudonymization key's fingerprint), or null when unset.</summary>
    string? GetSetting(string key);

    /// <summary>
    /// Sets a text setting only if it is unset, atomically (two writers racing both see the winner's
    /// value). Returns the value the store holds afterwards.
    /// </summary>
    string ClaimSetting(string key, string value);

    /// <summary>Replaces a text setting only if it still holds <paramref name="expected"/> (compare and swap). Returns whether it did.</summary>
    bool ReplaceSetting(string key, string expected, string value);

    /// <summary>
    /// Several compare-and-swaps of text settings in one transaction: all are applied, or (when any
    /// setting no longer holds its expected value) none. Returns whether they were applied.
    /// </summary>
    bool ReplaceSettings(IReadOnlyList<SettingSwap> swaps);

    /// <summary>The user's latest events, newest first (by arrival sequence), at most <paramref name="limit"/>.</summary>
    IReadOnlyList<RawEvent> RecentEvents(string userId, int limit);

    /// <summary>
    /// The sequence number the next appended event will get: it grows with every append by any
    /// writer (also another process), so a reader holding a cache can tell that someone else wrote.
    /// </summary>
    long NextEventSequence();

    /// <summary>The catalog entry, or null when the catalog has no such item.</summary>
    Item? GetItem(string id);

    /// <summary>
    /// Builds a training <see cref="Dataset"/> through <see cref="DatasetBuilder"/>: the catalog
    /// (in insertion order), then the profiles (in insertion order), then every event in arrival
    /// order. The result equals what a builder fed the same input that way would give.
    /// </summary>
    Dataset LoadDataset();

    /// <summary>Counts, the same figures a <see cref="Dataset"/> loaded from this store gives.</summary>
    StoreStats GetStats();

    /// <summary>Stores a model payload as a new version (1, 2, … across all names). <paramref name="metricsJson"/> must be valid JSON.</summary>
    long PublishModel(string name, byte[] payload, string metricsJson);

    /// <summary>The newest version, of <paramref name="name"/> when given, else of any model; null when none.</summary>
    ModelVersion? LatestModel(string? name = null);

    /// <summary>All model versions, oldest first (metadata only).</summary>
    IReadOnlyList<ModelVersion> ListModels();

    /// <summary>The payload of a version, checked against its SHA-256; throws <see cref="InvalidDataException"/> on mismatch and <see cref="KeyNotFoundException"/> for an unknown version.</summary>
    byte[] ReadModelPayload(long version);

    /// <summary>Logs one import run (what file, what format, how it went).</summary>
    void RecordImport(string source, string format, string reportSummary, long accepted, long skipped);

    /// <summary>The import log, oldest first.</summary>
    IReadOnlyList<ImportRecord> ListImports();

    /// <summary>Every item the store knows, in key order: its id and its catalog entry (null for items known only from events).</summary>
    IReadOnlyList<(string Id, Item? Item)> ReadItems();

    /// <summary>Users with the most recent activity first (at most <paramref name="limit"/>).</summary>
    IReadOnlyList<string> RecentUsers(int limit);

    /// <summary>Logs served recommendations in one transaction (ids must be new).</summary>
    void RecordServed(IReadOnlyList<ServedRecommendation> served);

    /// <summary>The served recommendation with this id, or null.</summary>
    ServedRecommendation? GetServed(string id);

    /// <summary>Appends feedback on served recommendations in one transaction.</summary>
    void RecordFeedback(IReadOnlyList<FeedbackRecord> feedback);

    /// <summary>Feedback counts per (variant, kind) over all served recommendations; variant "" when none.</summary>
    IReadOnlyDictionary<(string Variant, EventKind Kind), long> FeedbackCounts();

    /// <summary>Events per (UTC day of their timestamp, kind), oldest day first, for days on or after <paramref name="since"/> (the dashboard's timeline).</summary>
    IReadOnlyList<DailyEventCount> EventTimeline(DateOnly since);

    /// <summary>
    /// Served lists, slots, explored slots and clicks on explored and on exploited slots, per
    /// bucket of <paramref name="bucket"/> length (aligned to the Unix epoch) of the time the lists
    /// were served, for lists served at or after <paramref name="since"/>; empty buckets are left out.
    /// </summary>
    IReadOnlyList<ExplorationBucket> ExplorationTimeline(DateTimeOffset since, TimeSpan bucket);

    /// <summary>
    /// The exposures (served lists, <see cref="ExperimentLogEntry.Kind"/> null) and feedback of every
    /// served list whose variant starts with <paramref name="variantPrefix"/>, oldest first: what an
    /// experiment's tallies are rebuilt from after a restart.
    /// </summary>
    IReadOnlyList<ExperimentLogEntry> ExperimentLog(string variantPrefix);

    /// <summary>Stores an opaque state blob under a key (replacing it), e.g. a bandit policy's posterior.</summary>
    void PutState(string key, byte[] value);

    /// <summary>The blob stored under a key, or null.</summary>
    byte[]? GetState(string key);
}
