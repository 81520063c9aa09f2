using Patronus.Engine.Cluster;
using Patronus.Engine.Bfd;
using Patronus.Engine.Failover;
using Patronus.Engine.Paths;
using Patronus.GraphQL.Execution;
using Patronus.GraphQL.Types;
using Patronus.Persistence.Security;
using Patronus.Server.Api;
using Patronus.Server.Commands;

namespace Patronus.Server.GraphQL;


/// <summary>
/// Mutations: the GraphQL adapter over the write use cases REST shares (<see cref="TopologyCommands"/>,
/// <see cref="FailoverPolicyCommands"/>), each root field checked for operator. The input is handed
/// over as REST's JSON shape; an update changes what it names and keeps the rest, and a refusal
/// becomes a field error with REST's words (<see cref="CommandErrors"/>).
/// </summary>
public static partial class PatronusSchema
{
    private const string UpdateDescription = "Changes the fields the input names; the others keep their values (null clears an optional field or restores its default).";

    private static SchemaBuilder AddMutations(this SchemaBuilder schema) => schema
        .Object("Mutation", o => o
            .Field("createFailoverPolicy", "FailoverPolicy!", f => f
                .Argument("name", "String!").Argument("primaryPathId", "ID!").Argument("backupPathIds", "[ID!]!")
                .Argument("failoverThreshold", "Float").Argument("failbackThreshold", "Float").Argument("failbackDelaySecs", "Int")
                .Argument("enabled", "Boolean").Argument("prefixes", "[String!]").Argument("class", "String")
                .MutateAs(UserRole.Operator, async ctx => PolicyView(ctx, CommandErrors.ValueOf(
                    await Policies(ctx).CreateAsync(CommandErrors.Input(ctx.Arguments), ctx.CancellationToken).ConfigureAwait(false)))))
            .Field("updateFailoverPolicy", "FailoverPolicy!", f => f
                .Description(UpdateDescription)
                .Argument("policyId", "ID!").Argument("enabled", "Boolean").Argument("failoverThreshold", "Float").Argument("failbackThreshold", "Float")
                .Argument("failbackDelaySecs", "Int").Argument("backupPathIds", "[ID!]").Argument("prefixes", "[String!]").Argument("class", "String")
                .MutateAs(UserRole.Operator, async ctx => PolicyView(ctx, CommandErrors.ValueOf(
                    await Policies(ctx).UpdateAsync(ctx.Argument<string>("policyId"), CommandErrors.Input(ctx.Arguments, except: "policyId"), ctx.CancellationToken).ConfigureAwait(false)))))
            .Field("deleteFailoverPolicy", "Boolean!", f => f.Argument("policyId", "ID!").MutateAs(UserRole.Operator, async ctx =>
                CommandErrors.Done(await Policies(ctx).DeleteAsync(ctx.Argument<string>("policyId"), ctx.CancellationToken).ConfigureAwait(false))))
            .Field("createSite", "Site!", f => f.Argument("input", "SiteInput!").MutateAs(UserRole.Operator, async ctx =>
                SiteDto.From(CommandErrors.ValueOf(await Commands(ctx).CreateSiteAsync(InputOf(ctx), ctx.CancellationToken).ConfigureAwait(false)))))
            .Field("updateSite", "Site!", f => f.Description(UpdateDescription).Argument("id", "ID!").Argument("input", "SiteInput!").MutateAs(UserRole.Operator, async ctx =>
                SiteDto.From(CommandErrors.ValueOf(await Commands(ctx).UpdateSiteAsync(ctx.Argument<string>("id"), InputOf(ctx), ctx.CancellationToken).ConfigureAwait(false)))))
            .Field("deleteSite", "Boolean!", f => f.Argument("id", "ID!").MutateAs(UserRole.Operator, async ctx =>
                CommandErrors.Done(await Commands(ctx).DeleteSiteAsync(ctx.Argument<string>("id"), ctx.CancellationToken).ConfigureAwait(false))))
            .Field("createLink", "Link!", f => f.Argument("input", "LinkInput!").MutateAs(UserRole.Operator, async ctx =>
                LinkDto.From(CommandErrors.ValueOf(await Commands(ctx).CreateLinkAsync(InputOf(ctx), ctx.CancellationToken).ConfigureAwait(false)))))
            .Field("updateLink", "Link!", f => f.Description(UpdateDescription).Argument("id", "ID!").Argument("input", "LinkInput!").MutateAs(UserRole.Operator, async ctx =>
                LinkDto.From(CommandErrors.ValueOf(await Commands(ctx).UpdateLinkAsync(ctx.Argument<string>("id"), InputOf(ctx), ctx.CancellationToken).ConfigureAwait(false)))))
            .Field("deleteLink", "Boolean!", f => f.Argument("id", "ID!").MutateAs(UserRole.Operator, async ctx =>
                CommandErrors.Done(await Commands(ctx).DeleteLinkAsync(ctx.Argument<string>("id"), ctx.CancellationToken).ConfigureAwait(false))))
            .Field("createPath", "Path!", f => f.Argument("input", "PathInput!").MutateAs(UserRole.Operator, async ctx =>
                PathView(ctx, CommandErrors.ValueOf(await Commands(ctx).CreatePathAsync(InputOf(ctx), ctx.CancellationToken).ConfigureAwait(false)))))
            .Field("updatePath", "Path!", f => f.Description(UpdateDescription).Argument("id", "ID!").Argument("input", "PathInput!").MutateAs(UserRole.Operator, async ctx =>
                PathView(ctx, CommandErrors.ValueOf(await Commands(ctx).UpdatePathAsync(ctx.Argument<string>("id"), InputOf(ctx), ctx.CancellationToken).ConfigureAwait(false)))))
            .Field("deletePath", "Boolean!", f => f.Argument("id", "ID!").MutateAs(UserRole.Operator, async ctx =>
                CommandErrors.Done(await Commands(ctx).DeletePathAsync(ctx.Argument<string>("id"), ctx.CancellationToken).ConfigureAwait(false))))
            .Field("setBfdAdminDown", "Boolean!", f => f
                .Description("Holds a path's BFD session AdminDown (true) or releases it (false), at run time.")
                .Argument("pathId", "ID!").Argument("adminDown", "Boolean!")
                .MutateAs(UserRole.Operator, ctx => Task.FromResult<object?>(Ctx(ctx).Service<BfdService>().SetAdminDownOverride(ctx.Argument<string>("pathId"), ctx.Argument<bool>("adminDown"))
                    ? true
                    : throw new GraphQLException($"path '{ctx.Argument<string>("pathId")}' has no running BFD session",
                        new Dictionary<string, object?> { ["code"] = "NOT_FOUND" })))));

    private static TopologyCommands Commands(ResolveContext ctx) => Ctx(ctx).Service<TopologyCommands>();

    private static FailoverPolicyCommands Policies(ResolveContext ctx) => Ctx(ctx).Service<FailoverPolicyCommands>();

    private static System.Text.Json.Nodes.JsonObject InputOf(ResolveContext ctx) =>
        CommandErrors.Input(ctx.Argument<IReadOnlyDictionary<string, object?>>("input"));

    private static PathDto PathView(ResolveContext ctx, PathDefinition path) => PathDto.From(path, Topology(ctx));

    private static FailoverPolicyView PolicyView(ResolveContext ctx, FailoverPolicy policy) => FailoverPolicyView.From(policy, Ctx(ctx).Service<ClusterFeed>());
}
