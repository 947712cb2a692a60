using Merx.Core.Contracts;
using Merx.Models.Classic;

namespace Merx.Models.Tests.Classic;

public sealed class ContentContractTests : RecommenderContractTests
{
    protected override IRecommender CreateModel() => new ContentBased();
    
}
