public struct AccountInfo: Codable, Sendable, Hashable {
    public var name: String
    public var category: String
    public var createdAt: Int64
    public init(name: String, category: String, createdAt: Int64) {
        self.name = name
        self.category = category
        self.createdAt = createdAt
    }
}
