using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class HybridRrfContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Hybrid([new Ease([5f]), new Popularity()], [1f, 0.01f], FusionMode.ReciprocalRank, tuneWeights: false);
}
