"""goe merge: combine national frequency packages into the European reference."""
