using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>What one <see cref="IEventStore.AppendEvents"/> call wrote.</summary>
/// <param name="Events">Events appended.</param>
/// <param name="NewUsers">Users seen for the first time.</param>
/// <param name="NewItems">Items seen for the first time (not in the catalog nor in earlier events).</param>
/// <param name="FirstSequence">Sequence number of the first appended event; 0 when none were appended.</param>
/// <param name="LastSequence">Sequence number of the last appended event; 0 when none were appended.</param>
public sealed record ImportBatch(long Events, long NewUsers, long NewItems, long FirstSequence, long LastSequence);

/// <summary>
/// Store-wide counts. <see cref="Users"/> and <see cref="Items"/> are those a
/// <see cref="Core.Data.Dataset"/> loaded from the store interns: users with events or a profile,
/// items in the catalog or named by events.
/// </summary>
/// <param name="EventsByKind">Events per kind, indexed by <c>(int)EventKind</c> (length <see cref="EventKinds.Count"/>), like <see cref="Core.Data.EventLog.CountByKind"/>.</param>
public sealed record StoreStats(long Users, long Items, long Events, long[] EventsByKind, long UsersWithProfile, long ItemsInCatalog)
{
    public long this[EventKind kind] => EventsByKind[(int)kind];
}

/// <summary>One published model version (metadata; the payload is read with <see cref="IModelRegistry.OpenModelPayload"/>).</summary>
/// <param name="Version">1, 2, … in publication order across all names.</param>
/// <param name="Sha256">Lower-case hex SHA-256 of the payload.</param>
/// <param name="SizeBytes">Payload length in bytes.</param>
public sealed record ModelVersion(long Version, string Name, DateTimeOffset CreatedAt, string Sha256, string MetricsJson, long SizeBytes);

/// <summary>One entry of the import log.</summary>
public sealed record ImportRecord(long Id, DateTimeOffset At, string Source, string Format, string Summary, long Accepted, long Skipped);

/// <summary>
/// One served recommendation list: what was shown to whom, by which model and path, so that
/// feedback carrying <see cref="Id"/> can be attributed (and A/B metrics computed per variant).
/// </summary>
/// <param name="Items">External item ids in the order shown.</param>
/// <param name="Explored">Per item, whether the exploration stage placed it.</param>
public sealed record ServedRecommendation(string Id, string User, DateTimeOffset At, string? Model, string Path, string? Variant, IReadOnlyList<string> Items, IReadOnlyList<bool> Explored)
{
    /// <summary>The user's group when served ("established" or "new", by history length; null when the list had no bandit stage), for exploration figures by group.</summary>
    public string? UserGroup { get; init; }
    /// <summary>What off-policy evaluation needs of the list (null when the serving policy gave no propensities).</summary>
    public SlotLogging? Logging { get; init; }
}

/// <summary>
/// The serving policy's view of a served list, per slot in the order shown: the item's exploit rank
/// among the <see cref="Candidates"/> the policy chose from and the probability the policy gave to
/// showing it in that slot (in (0, 1]).
/// </summary>
public sealed record SlotLogging(int Candidates, IReadOnlyList<int> ExploitRanks, IReadOnlyList<double> Propensities)
{
    /// <summary>
    /// 0: the propensities are exact. Above 0: they came from geometric redraws with at most this many draws
    /// (the Thompson-style policies): each is 1/N with N the draws until the pick reappeared at its slot, so
    /// its inverse N is an unbiased estimate of 1/propensity (what the importance weight uses), not the
    /// propensity itself.
    /// </summary>
    public int DrawCap { get; init; }

    /// <summary>Slots whose pick did not reappear within <see cref="DrawCap"/> draws (logged as 1/cap: their weight is biased low).</summary>
    public int CappedSlots { get; init; }

    /// <summary>
    /// Per slot, the probability that the policy shows the slot's item in any slot of the list (exact, or 1/M from the
    /// same redraws as <see cref="Propensities"/>, M the draws until the item reappears anywhere); null in records
    /// written before it was logged. The examination-model estimator of <c>merx ope</c> needs it.
    /// </summary>
    public IReadOnlyList<double>? Presences { get; init; }

    /// <summary>Slots whose item did not reappear in any slot within <see cref="DrawCap"/> draws (presence logged as 1/cap).</summary>
    public int CappedPresences { get; init; }
}

/// <summary>A served list and the items clicked on it (each once, in the order of the first click).</summary>
public sealed record ServedOutcome(ServedRecommendation Served, IReadOnlyList<string> Clicked)
{
    /// <summary>Whether slot <paramref name="slot"/> was clicked: its item was, and no earlier slot showed the same item (a click counts for the first slot that showed it).</summary>
    public bool ClickedAt(int slot)
    {
        var items = Served.Items;
        if (!Clicked.Contains(items[slot])) return false;
        for (var i = 0; i < slot; i++) if (items[i] == items[slot]) return false;
        return true;
    }
}

/// <summary>Feedback on a served recommendation (impression, click, add-to-cart, purchase).</summary>
public sealed record FeedbackRecord(string RecommendationId, string User, string Item, EventKind Kind, DateTimeOffset At, double Value = 0);

/// <summary>One exposure (Kind null) or feedback entry of an experiment's variant.</summary>
public sealed record ExperimentLogEntry(DateTimeOffset At, string User, string Variant, EventKind? Kind, double Value);

/// <summary>
/// One user to bring under the current pseudonymization key (lazy key rotation): <see cref="Current"/> is
/// the id under the current key, <see cref="Older"/> the same person's ids under older keys, newest key first.
/// </summary>
public sealed record UserRekey(string Current, IReadOnlyList<string> Older);

/// <summary>One compare-and-swap of a text setting; <see cref="Expected"/> null means "must be unset".</summary>
public sealed record SettingSwap(string Key, string? Expected, string Value);
