using Patronus.GraphQL.Language;

namespace Patronus.GraphQL.Validation;

/// <summary>A visitor callback set: Enter returns false to skip the node's children.</summary>
internal abstract class NodeVisitor
{
    public virtual bool Enter(Node node) => true;

    public virtual void Leave(Node node)
    {
    }
}

/// <summary>Walks an AST depth-first, keeping <see cref="TypeInfo"/> and the ancestor stack current for the visitors.</summary>
internal sealed class DocumentWalker
{
    private readonly TypeInfo _typeInfo;
    private readonly IReadOnlyList<NodeVisitor> _visitors;
    private readonly bool[] _skipping;
    private readonly Node?[] _skipRoot;
    private readonly CancellationToken _cancellationToken;

    public DocumentWalker(TypeInfo typeInfo, IReadOnlyList<NodeVisitor> visitors, CancellationToken cancellationToken = default)
    {
        _typeInfo = typeInfo;
        _cancellationToken = cancellationToken;
        _visitors = visitors;
        _skipping = new bool[visitors.Count];
        _skipRoot = new Node?[visitors.Count];
    }

    public List<Node> Ancestors { get; } = [];

    public void Walk(Node node)
    {
        _cancellationToken.ThrowIfCancellationRequested();
        _typeInfo.Enter(node);
        for (var i = 0; i < _visitors.Count; i++)
        {
            if (!_skipping[i] && !_visitors[i].Enter(node))
            {
                _skipping[i] = true;
                _skipRoot[i] = node;
            }
        }

        Ancestors.Add(node);
        foreach (var child in Children(node))
        {
            if (child is not null)
            {
                Walk(child);
            }
        }

        Ancestors.RemoveAt(Ancestors.Count - 1);
        for (var i = 0; i < _visitors.Count; i++)
        {
            if (!_skipping[i])
            {
                _visitors[i].Leave(node);
            }
            else if (ReferenceEquals(_skipRoot[i], node))
            {
                _skipping[i] = false;
                _skipRoot[i] = null;
            }
        }

        _typeInfo.Leave(node);
    }

    private static IEnumerable<Node?> Children(Node node) => node switch
    {
        DocumentNode d => d.Definitions,
        OperationDefinitionNode o => [o.Name, .. o.VariableDefinitions, .. o.Directives, o.SelectionSet],
        VariableDefinitionNode v => [v.Variable, v.Type, v.DefaultValue, .. v.Directives],
        FragmentDefinitionNode f => [f.Name, f.TypeCondition, .. f.Directives, f.SelectionSet],
        SelectionSetNode s => s.Selections,
        FieldNode f => [f.Alias, f.Name, .. f.Arguments, .. f.Directives, f.SelectionSet],
        FragmentSpreadNode s => [s.Name, .. s.Directives],
        InlineFragmentNode i => [i.TypeCondition, .. i.Directives, i.SelectionSet],
        ArgumentNode a => [a.Name, a.Value],
        DirectiveNode d => [d.Name, .. d.Arguments],
        NamedTypeNode n => [n.Name],
        ListTypeNode l => [l.Type],
        NonNullTypeNode n => [n.Type],
        VariableNode v => [v.Name],
        ListValueNode l => l.Values,
        ObjectValueNode o => o.Fields,
        ObjectFieldNode f => [f.Name, f.Value],
        SchemaDefinitionNode s => [.. s.Directives, .. s.OperationTypes],
        SchemaExtensionNode s => [.. s.Directives, .. s.OperationTypes],
        OperationTypeDefinitionNode o => [o.Type],
        ObjectTypeDefinitionNode o => [o.Name, .. o.Interfaces, .. o.Directives, .. o.Fields],
        InterfaceTypeDefinitionNode i => [i.Name, .. i.Interfaces, .. i.Directives, .. i.Fields],
        UnionTypeDefinitionNode u => [u.Name, .. u.Directives, .. u.Types],
        EnumTypeDefinitionNode e => [e.Name, .. e.Directives, .. e.Values],
        InputObjectTypeDefinitionNode i => [i.Name, .. i.Directives, .. i.Fields],
        ScalarTypeDefinitionNode s => [s.Name, .. s.Directives],
        FieldDefinitionNode f => [f.Name, .. f.Arguments, f.Type, .. f.Directives],
        InputValueDefinitionNode i => [i.Name, i.Type, i.DefaultValue, .. i.Directives],
        EnumValueDefinitionNode e => [e.Name, .. e.Directives],
        DirectiveDefinitionNode d => [d.Name, .. d.Arguments, .. d.Locations],
        _ => [],
    };
}
