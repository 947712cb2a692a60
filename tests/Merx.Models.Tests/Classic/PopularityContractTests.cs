using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class PopularityContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Popularity();
    protected override bool Personalized => false;
    protected override bool SimilarityFromBlocks => false;
}
