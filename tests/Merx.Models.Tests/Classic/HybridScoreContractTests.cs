using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class HybridScoreContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Hybrid([new ItemKnn(5, 1), new ContentBased()]);
    
}
