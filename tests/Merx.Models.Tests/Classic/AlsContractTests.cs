using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class AlsContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Als(factors: 2, iterations: 10, alpha: 5f, regularization: 1f);
}
