"""Plan a footprint (the one path from practices to a Plan) and compare plans."""
