using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class TrendingContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => Popularity.Trending(halfLifeSeconds: 1e6);
    protected override bool Personalized => false;
    protected override bool SimilarityFromBlocks => false;
}
