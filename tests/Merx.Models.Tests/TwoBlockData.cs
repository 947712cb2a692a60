using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Core.Splits;

namespace Merx.Models.Tests;

/// <summary>
/// The contract tests' tiny data set with a known answer: 24 users in two disjoint groups. Group A
/// (users 0–11) consumes 6 items from block A = {0..7}, group B (users 12–23) 6 items from block
/// B = {8..15}; everybody's first item is the block's "hit" (item 0 or 8), the two most
/// popular items (ties break to item 0). Items 16 (tag "a") and 17 (tag "b") are in the catalog but never consumed.
/// Leave-one-out split, seeded.
/// </summary>
public static class TwoBlockData
{
    public const int Items = 18;
    public static readonly int[] BlockA = [0, 1, 2, 3, 4, 5, 6, 7, 16];
    public static readonly int[] BlockB = [8, 9, 10, 11, 12, 13, 14, 15, 17];

    public static (TrainingData Data, Split Split) Create(int seed = 7)
    {
        var rng = new Random(seed);
        var lists = new List<IReadOnlyList<int>>();
        for (var u = 0; u < 24; u++)
        {
            var groupA = u < 12;
            var first = groupA ? 0 : 8;
            var others = Enumerable.Range(first + 1, 7).ToArray();
            rng.Shuffle(others);
            lists.Add([first, .. others.Take(5)]);
        }
        var seq = UserSequences.FromLists(lists, Items);
        var split = Splitter.LeaveOneOut(seq);
        var catalog = new Item?[Items];
        for (var i = 0; i < Items; i++)
        {
            var a = BlockA.Contains(i);
            catalog[i] = new Item
            {
                Id = "i" + i,
                Title = a ? "rose face serum" : "steel hammer drill",
                CategoryPath = a ? ["Beauty", "Skin"] : ["Tools", "Power"],
                Tags = [a ? "a" : "b"],
            };
        }
        return (new TrainingData(split.Train, catalog, split.Validation), split);
    }

    public static bool InA(int item) => BlockA.Contains(item);
    public static bool InB(int item) => BlockB.Contains(item);
}
