using Merx.Core.Domain;

namespace Merx.Storage;

/// <summary>Events of one kind on one UTC day (for the dashboard's timeline).</summary>
/// <param name="Day">The UTC calendar day of the events' timestamps (data sets without clocks, whose timestamps are positions, all fall on 1970-01-01).</param>
public sealed record DailyEventCount(DateOnly Day, EventKind Kind, long Count);

/// <summary>
/// What the exploration stage did in one time bucket, counted over the served recommendation
/// lists (by the time they were served) and the feedback attributed to them.
/// </summary>
/// <param name="Start">Start of the bucket (UTC).</param>
/// <param name="Lists">Recommendation lists served in the bucket.</param>
/// <param name="Slots">Items shown in those lists (all slots).</param>
/// <param name="ExploredSlots">Slots the exploration stage placed.</param>
/// <param name="ExploredClicks">Click feedback on explored slots of those lists.</param>
/// <param name="ExploitedClicks">Click feedback on the other slots.</param>
public sealed record ExplorationBucket(DateTimeOffset Start, long Lists, long Slots, long ExploredSlots, long ExploredClicks, long ExploitedClicks)
{
    /// <summary>Share of the slots that were explored (0 when nothing was served).</summary>
    public double ExplorationRate => Slots == 0 ? 0 : (double)ExploredSlots / Slots;
}
