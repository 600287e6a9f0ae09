// `--sweep`: find saturation by raising the offered rate step by step, then measure latency at
// 80 % of it, the operating point the PersonaPass plan sizes for.

/// One step of a sweep.
public struct SweepStep: Sendable {
    public var offeredRate: Double
    public var result: LoadResult

    public init(offeredRate: Double, result: LoadResult) {
        self.offeredRate = offeredRate
        self.result = result
    }
}

/// The sweep's findings.
public struct SweepResult: Sendable {
    public var steps: [SweepStep]
    /// Highest achieved throughput.
    public var saturationThroughput: Double
    /// The run at 80 % of saturation.
    public var atEightyPercent: LoadResult
}

/// Raises the open-loop rate until the server stops keeping up.
public struct RateSweep: Sendable {
    public var runner: LoadRunner
    public var startRate: Double
    /// Multiplier between steps.
    public var growth: Double
    public var stepDuration: Duration
    public var maxInFlight: Int
    public var maxSteps: Int

    public init(runner: LoadRunner, startRate: Double, growth: Double = 1.5, stepDuration: Duration = .seconds(3),
                maxInFlight: Int = 256, maxSteps: Int = 20) {
        self.runner = runner
        self.startRate = startRate
        self.growth = growth
        self.stepDuration = stepDuration
        self.maxInFlight = maxInFlight
        self.maxSteps = maxSteps
    }

    /// A step is saturated when the server completes less than 95 % of what was offered.
    static func isSaturated(_ step: SweepStep) -> Bool {
        step.result.throughput < 0.95 * step.offeredRate
    }

    public func run(progress: (@Sendable (SweepStep) -> Void)? = nil) async -> SweepResult {
        var steps: [SweepStep] = []
        var rate = startRate
        for _ in 0..<maxSteps {
            let result = await runner.run(.openLoop(ratePerSecond: rate, maxInFlight: maxInFlight),
                                          duration: stepDuration)
            let step = SweepStep(offeredRate: rate, result: result)
            steps.append(step)
            progress?(step)
            if Self.isSaturated(step) { break }
            rate *= growth
        }
        let saturation = steps.map(\.result.throughput).max() ?? 0
        let target = 0.8 * saturation
        let final = await runner.run(.openLoop(ratePerSecond: max(target, 1), maxInFlight: maxInFlight),
                                     duration: stepDuration)
        steps.append(SweepStep(offeredRate: target, result: final))
        return SweepResult(steps: steps, saturationThroughput: saturation, atEightyPercent: final)
    }
}
