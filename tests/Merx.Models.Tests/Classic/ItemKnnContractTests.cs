using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class ItemKnnContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new ItemKnn(neighbors: 5, shrink: 1);
}
