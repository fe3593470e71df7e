extension Shotlist {
    /// The list refitted to last exactly `target` seconds, which always validates against `target`.
    ///
    /// 1. Shots are put in order of their start (unusable starts last; ties keep list order).
    /// 2. Each shot's weight is its duration (or `end − start` if that is unusable); shots with
    ///    no usable length get the mean of the others, and every weight is at least a millionth
    ///    of the largest, so no shot collapses to nothing.
    /// 3. Durations are rescaled proportionally to sum to `target`.
    /// 4. The shots are laid end to end from 0, which removes every gap and overlap; the last
    ///    shot ends exactly at `target`.
    ///
    /// Shot identifiers, text and prompts are kept. An empty list, or a `target` that is not a
    /// positive finite number, is returned unchanged.
    public func repaired(toDuration target: Double) -> Shotlist {
        guard !shots.isEmpty, target.isFinite, target > 0 else { return self }
        let ordered = shots.enumerated()
            .sorted { lhs, rhs in
                switch (lhs.element.start.isFinite, rhs.element.start.isFinite) {
                case (true, true):
                    lhs.element.start != rhs.element.start
                        ? lhs.element.start < rhs.element.start : lhs.offset < rhs.offset
                case (true, false): true
                case (false, true): false
                case (false, false): lhs.offset < rhs.offset
                }
            }
            .map(\.element)
        let lengths: [Double?] = ordered.map { shot in
            if shot.duration.isFinite, shot.duration > 0 { return shot.duration }
            let span = shot.end - shot.start
            return span.isFinite && span > 0 ? span : nil
        }
        let known = lengths.compactMap { $0 }
        let fallback = known.isEmpty ? 1 : known.reduce(0) { $0 + $1 / Double(known.count) }
        let raw = lengths.map { $0 ?? fallback }
        let largest = raw.max() ?? 1
        let weights = raw.map { max($0, largest * 1e-6) }
        let totalWeight = weights.reduce(0) { $0 + $1 / largest }

        var result = self
        var start = 0.0
        result.shots = zip(ordered, weights).enumerated()
            .map { index, pair in
                var (shot, weight) = pair
                let end = index == ordered.count - 1 ? target : start + target * (weight / largest) / totalWeight
                shot.start = start
                shot.end = end
                shot.duration = end - start
                start = end
                return shot
            }
        return result
    }
}
