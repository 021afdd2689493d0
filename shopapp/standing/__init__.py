"""Standing orders ("mon panier de la semaine"): a resident's basket collected every week or fortnight."""
