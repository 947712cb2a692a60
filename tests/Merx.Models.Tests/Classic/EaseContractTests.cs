using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class EaseContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new Ease([1f, 10f]);
}
