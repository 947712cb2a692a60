using Merx.Core.Data;
using Merx.Core.Splits;

namespace Merx.Models.Training;

/// <summary>
/// How the plain and the federated trainer use the validation items without ever touching a test item:
/// phase 1 selects the number of epochs (rounds) on validation, within 60 % of the time budget when a
/// refit follows; phase 2 trains again from scratch on each user's training sequence with their
/// validation targets appended, for the selected count, when the time left covers it with 10 % to spare.
/// </summary>
internal static class ValidationRefit
{
    /// <summary>The time budget of the selection phase: 60 % of <paramref name="budget"/> when a refit follows, else all of it.</summary>
    public static TimeSpan? SelectionBudget(TimeSpan? budget, bool refit) => refit && budget is { } total ? total * 0.6 : budget;

    /// <summary>
    /// Whether <paramref name="units"/> more epochs (rounds) of <paramref name="secondsPerUnit"/> fit in what is left of
    /// <paramref name="budget"/> after <paramref name="elapsed"/>, with 10 % to spare; <paramref name="left"/>: the seconds left (∞ without a budget).
    /// </summary>
    public static bool HasTimeFor(TimeSpan? budget, TimeSpan elapsed, int units, double secondsPerUnit, out double left)
    {
        left = budget is { } t ? (t - elapsed).TotalSeconds : double.PositiveInfinity;
        return !(left < 1.1 * units * secondsPerUnit);
    }

    /// <summary>Each user's training sequence with their validation target(s) appended (the items that come next in time).</summary>
    public static UserSequences WithTargets(UserSequences train, IReadOnlyList<EvalCase> validation)
    {
        var lists = new List<int>[train.UserCount];
        for (var u = 0; u < train.UserCount; u++) lists[u] = [.. train.ItemsOf(u)];
        foreach (var c in validation) lists[c.User].AddRange(c.Targets);
        return UserSequences.FromLists(lists, train.ItemCount);
    }
}
