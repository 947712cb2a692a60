using Merx.Core.Contracts;
using Merx.Core.Data;
using Merx.Core.Domain;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class PopularityTests
{
    // Item 0: three old purchases; item 1: two recent views. All-time weighted counts favour item 0,
    // a one-day half-life favours item 1.
    private static TrainingData Data()
    {
        const long day = 86400;
        var seq = new UserSequences(3, [0, 2, 4, 5],
            [0, 1, 0, 1, 0],
            [0, 100 * day, 0, 100 * day, 0],
            [EventKind.Purchase, EventKind.View, EventKind.Purchase, EventKind.View, EventKind.Purchase]);
        return new TrainingData(seq);
    }

    [Fact]
    public void Pop_WeighsEventKinds()
    {
        var pop = new Popularity();
        pop.Fit(Data(), FitOptions.Default);
        Assert.Equal(15f, pop.ItemScores[0]);
        Assert.Equal(2f, pop.ItemScores[1]);
        Assert.Equal(0f, pop.ItemScores[2]);
    }

    [Fact]
    public void Trending_DecaysOldEvents()
    {
        var trending = Popularity.Trending(halfLifeSeconds: 86400);
        trending.Fit(Data(), FitOptions.Default);
        Assert.Equal("trending", trending.Name);
        Assert.Equal(2f, trending.ItemScores[1], 5);
        Assert.True(trending.ItemScores[0] < 1e-20f);
        Assert.Equal(1, trending.Recommend(-1, [], 1)[0].Item);
    }
}
